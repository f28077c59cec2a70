import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configDumpSections } from './config-dump-sections.ts';
import { secretRowsOf } from './secrets-view.ts';

const secretType = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret';
let dir = '';
let pem = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mizzen-secrets-'));
  const [certFile, keyFile] = [join(dir, 'c.pem'), join(dir, 'k.pem')];
  await promisify(execFile)('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-set_serial', '0x5eed',
    '-keyout', keyFile, '-out', certFile, '-subj', '/CN=reviews',
  ]);
  pem = await readFile(certFile, 'utf8');
});

afterAll(() => rm(dir, { recursive: true, force: true }));

/** A dump as Envoy writes it: SDS secrets active and warming, one static, keys redacted. */
function dump(): unknown {
  const base64 = Buffer.from(pem).toString('base64');
  return {
    configs: [
      {
        '@type': 'type.googleapis.com/envoy.admin.v3.SecretsConfigDump',
        static_secrets: [{ name: 'static-ca', secret: { '@type': secretType, name: 'static-ca', validation_context: { trusted_ca: { filename: '/etc/certs/root.pem' } } } }],
        dynamic_active_secrets: [
          {
            name: 'default',
            version_info: '1',
            secret: { '@type': secretType, name: 'default', tls_certificate: { certificate_chain: { inline_bytes: base64 }, private_key: { inline_string: '[redacted]' } } },
          },
          { name: 'ROOTCA', version_info: '1', secret: { '@type': secretType, name: 'ROOTCA', validation_context: { trusted_ca: { inline_string: pem } } } },
        ],
        dynamic_warming_secrets: [{ name: 'kubernetes://bookinfo-cert' }],
      },
    ],
  };
}

describe('proxy-config secret', () => {
  it('shows a row per certificate chain and CA with its serial and validity, and the status by the list it is in', () => {
    const rows = secretRowsOf(configDumpSections(dump()).secrets);
    expect(rows.map((r) => [r.name, r.type, r.status, r.validCert, r.serialNumber])).toEqual([
      ['static-ca', 'CA', 'STATIC', 'false', 'file /etc/certs/root.pem'],
      ['default', 'Cert Chain', 'ACTIVE', 'true', '5eed'],
      ['ROOTCA', 'CA', 'ACTIVE', 'true', '5eed'],
      ['kubernetes://bookinfo-cert', '-', 'WARMING', 'false', '-'],
    ]);
    const leaf = rows[1];
    expect(Date.parse(leaf.notAfter) - Date.parse(leaf.notBefore)).toBe(2 * 24 * 3600 * 1000);
  });

  it('says a certificate outside its validity period is not valid', () => {
    const rows = secretRowsOf(configDumpSections(dump()).secrets, new Date(Date.now() + 3 * 24 * 3600 * 1000));
    expect(rows.find((r) => r.name === 'default')?.validCert).toBe('false');
  });

  it('names the field of a dump out of shape', () => {
    expect(() => secretRowsOf({ dynamic_active_secrets: {} })).toThrow('SecretsConfigDump.dynamic_active_secrets: expected a list');
  });
});
