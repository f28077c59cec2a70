// For the tests: a self-signed certificate for istiod's service name and the loopback address,
// made with openssl in a folder of its own.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export interface TestCertificate {
  certFile: string;
  keyFile: string;
  cert: string;
  key: string;
  remove(): Promise<void>;
}

/** A new pair in `dir` (a fresh folder when none is given). */
export async function createTestCertificate(dir?: string): Promise<TestCertificate> {
  const folder = dir ?? (await mkdtemp(join(tmpdir(), 'istiod-webhook-')));
  const certFile = join(folder, 'tls.crt');
  const keyFile = join(folder, 'tls.key');
  await promisify(execFile)('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-keyout', keyFile, '-out', certFile,
    '-subj', '/CN=istiod.istio-system.svc', '-addext', 'subjectAltName=DNS:istiod.istio-system.svc,IP:127.0.0.1',
  ]);
  return { certFile, keyFile, cert: await readFile(certFile, 'utf8'), key: await readFile(keyFile, 'utf8'), remove: () => rm(folder, { recursive: true, force: true }) };
}
