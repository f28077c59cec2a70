// Certificates made for a test run with openssl: a CA and leaves signed by it, with SANs.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface Pem {
  readonly cert: string;
  readonly key: string;
}

export interface TestPki {
  readonly ca: Pem;
  /** A leaf signed by the CA, with subjectAltName entries like "DNS:a.local" or "URI:spiffe://...". */
  issue(name: string, sans: string[]): Promise<Pem>;
  /** A self-signed certificate no CA of the test trusts. */
  selfSigned(name: string, sans: string[]): Promise<Pem>;
  cleanup(): Promise<void>;
}

async function keyAndCert(dir: string, name: string, args: string[]): Promise<Pem> {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.pem`);
  await exec('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-keyout', key, '-out', cert, '-subj', `/CN=${name}`, ...args]);
  return { cert: await readFile(cert, 'utf8'), key: await readFile(key, 'utf8') };
}

export async function createTestPki(): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'mizzen-pki-'));
  const ca = await keyAndCert(dir, 'ca', ['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']);
  let serial = 1;
  return {
    ca,
    async issue(name, sans) {
      const key = join(dir, `${name}.key`);
      const csr = join(dir, `${name}.csr`);
      const cert = join(dir, `${name}.pem`);
      const ext = join(dir, `${name}.ext`);
      await exec('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${name}`]);
      await writeFile(ext, `subjectAltName=${sans.join(',')}\nextendedKeyUsage=serverAuth,clientAuth\n`);
      await exec('openssl', ['x509', '-req', '-in', csr, '-CA', join(dir, 'ca.pem'), '-CAkey', join(dir, 'ca.key'), '-set_serial', String(serial++),
        '-days', '1', '-out', cert, '-extfile', ext]);
      return { cert: await readFile(cert, 'utf8'), key: await readFile(key, 'utf8') };
    },
    selfSigned: (name, sans) => keyAndCert(dir, name, ['-addext', `subjectAltName=${sans.join(',')}`]),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
