import { get } from 'node:https';
import { dirname } from 'node:path';
import { MemoryConfigStore } from '@mizzen/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebhooks } from './start-webhooks.ts';
import { createTestCertificate, type TestCertificate } from './test-certificate.ts';

let certificate: TestCertificate;
beforeAll(async () => {
  certificate = await createTestCertificate();
});
afterAll(() => certificate.remove());

function ready(port: number | undefined, ca: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/httpsReady', ca, servername: 'istiod.istio-system.svc', agent: false }, (res) => {
      res.resume().on('end', () => resolve(res.statusCode));
    }).on('error', reject);
  });
}

describe('startWebhooks', () => {
  it('serves HTTPS with the certificate it is given, and with the new one once the files change', async () => {
    const log: string[] = [];
    let logged: (message: string) => void = () => {};
    const webhooks = await startWebhooks({ webhookAddress: '127.0.0.1:0', tlsCertFile: certificate.certFile, tlsKeyFile: certificate.keyFile }, new MemoryConfigStore(), {
      required: true,
      log: (m) => (log.push(m), logged(m)),
    });
    try {
      expect(await ready(webhooks.port, certificate.cert)).toBe(200);
      expect(log).toEqual([`istiod: webhooks /inject and /validate on https://127.0.0.1:${webhooks.port}`]);
      const reloaded = new Promise<void>((resolve) => (logged = (m) => m === 'istiod: webhook certificate reloaded' && resolve()));
      const rotated = await createTestCertificate(dirname(certificate.certFile));
      await reloaded;
      expect(await ready(webhooks.port, rotated.cert)).toBe(200);
      await expect(ready(webhooks.port, certificate.cert)).rejects.toThrow();
    } finally {
      await webhooks.close();
    }
  });

  it('runs without webhooks when no certificate sits at the default paths, and fails when one was asked for', async () => {
    const flags = { webhookAddress: '127.0.0.1:0', tlsCertFile: `${certificate.certFile}.missing`, tlsKeyFile: certificate.keyFile };
    const log: string[] = [];
    const off = await startWebhooks(flags, new MemoryConfigStore(), { required: false, log: (m) => log.push(m) });
    expect(off.port).toBeUndefined();
    expect(log[0]).toMatch(/^istiod: serving no webhooks: cannot read the webhook certificate \(ENOENT/);
    await expect(startWebhooks(flags, new MemoryConfigStore(), { required: true, log: () => {} })).rejects.toThrow('cannot read the webhook certificate (ENOENT');
  });
});
