// Loopback plumbing for the gRPC tests: cleanups run after each case, a hand-made server
// bound to a free port, and a throwaway certificate for 127.0.0.1.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterEach } from 'vitest';

/** What a case must undo when it ends, pushed as it goes. */
export interface Cleanups {
  push(cleanup: () => unknown): void;
}

/** Registers an afterEach that runs, newest first, the cleanups a case pushed. */
export function useCleanups(): Cleanups {
  const pending: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of pending.splice(0).reverse()) await cleanup();
  });
  return { push: (cleanup) => void pending.push(cleanup) };
}

/** Binds a server to a free loopback port, in plaintext; resolves to the port. */
export function listenOnLoopback(server: grpc.Server): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port))),
  );
}

/** A self-signed certificate for 127.0.0.1 (CN istiod), made by openssl. */
export function loopbackCertificate(): { cert: Buffer; key: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'ads-tls-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=istiod', '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    return { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
