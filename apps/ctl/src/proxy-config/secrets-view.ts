import { X509Certificate } from 'node:crypto';
import { arrayAt, dig, isObject, objectAt, textAt, type JsonObject } from './json-reading.ts';

/** One certificate of a secret, as istioctl's `proxy-config secret` shows it. */
export interface SecretRow {
  name: string;
  /** "Cert Chain" for a certificate with its key, "CA" for a validation context. */
  type: string;
  /** ACTIVE (serving), WARMING (asked for, not arrived) or STATIC (from the bootstrap). */
  status: string;
  validCert: string;
  serialNumber: string;
  notAfter: string;
  notBefore: string;
}

export const secretHeader = ['RESOURCE NAME', 'TYPE', 'STATUS', 'VALID CERT', 'SERIAL NUMBER', 'NOT AFTER', 'NOT BEFORE'];

export const secretCells = (row: SecretRow): string[] => [row.name, row.type, row.status, row.validCert, row.serialNumber, row.notAfter, row.notBefore];

/** The PEM text of a DataSource in a dump: inline bytes (base64) or an inline string. A file
 *  named by path lives on the proxy's machine, not here: undefined. */
function pemOf(source: unknown): string | undefined {
  if (!isObject(source)) return undefined;
  if (typeof source.inline_bytes === 'string') return Buffer.from(source.inline_bytes, 'base64').toString('utf8');
  if (typeof source.inline_string === 'string') return source.inline_string;
  return undefined;
}

/** The first certificate of a PEM bundle (the leaf of a chain, the first root of a bundle). */
function firstCertificate(pem: string): X509Certificate | undefined {
  const match = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem);
  if (!match) return undefined;
  try {
    return new X509Certificate(match[0]);
  } catch {
    return undefined;
  }
}

function certificateRow(name: string, type: string, status: string, source: unknown, now: Date): SecretRow {
  const row: SecretRow = { name, type, status, validCert: 'false', serialNumber: '-', notAfter: '-', notBefore: '-' };
  const pem = pemOf(source);
  const cert = pem === undefined ? undefined : firstCertificate(pem);
  if (!cert) {
    // A certificate read from a file on the proxy's side: the dump names the file only.
    if (isObject(source) && typeof source.filename === 'string') row.serialNumber = `file ${source.filename}`;
    return row;
  }
  const notBefore = new Date(cert.validFrom);
  const notAfter = new Date(cert.validTo);
  row.validCert = String(notBefore <= now && now <= notAfter);
  row.serialNumber = cert.serialNumber.toLowerCase();
  row.notAfter = notAfter.toISOString().replace('.000Z', 'Z');
  row.notBefore = notBefore.toISOString().replace('.000Z', 'Z');
  return row;
}

/** Rows for one secret: its certificate chain and its validation context, whichever it has. */
function secretRows(name: string, status: string, secret: JsonObject | undefined, now: Date): SecretRow[] {
  if (!secret) return [{ name, type: '-', status, validCert: 'false', serialNumber: '-', notAfter: '-', notBefore: '-' }];
  const rows: SecretRow[] = [];
  const chain = dig(secret, 'tls_certificate', 'certificate_chain');
  if (chain !== undefined) rows.push(certificateRow(name, 'Cert Chain', status, chain, now));
  const ca = dig(secret, 'validation_context', 'trusted_ca');
  if (ca !== undefined) rows.push(certificateRow(name, 'CA', status, ca, now));
  return rows;
}

const lists: [string, string][] = [
  ['static_secrets', 'STATIC'],
  ['dynamic_active_secrets', 'ACTIVE'],
  ['dynamic_warming_secrets', 'WARMING'],
];

/** Rows of a SecretsConfigDump section; throws naming the path of anything out of shape. */
export function secretRowsOf(section: JsonObject | undefined, now = new Date()): SecretRow[] {
  if (!section) return [];
  const rows: SecretRow[] = [];
  for (const [field, status] of lists) {
    arrayAt(section[field], `SecretsConfigDump.${field}`).forEach((entry, i) => {
      const at = `SecretsConfigDump.${field}[${i}]`;
      const item = objectAt(entry, at);
      if (!item) return;
      rows.push(...secretRows(textAt(item.name), status, objectAt(item.secret, `${at}.secret`), now));
    });
  }
  return rows;
}
