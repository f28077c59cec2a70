import { get } from 'node:https';
import { MemoryConfigStore } from '@mizzen/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebhooks } from './start-webhooks.ts';
import { createTestCertificate, type TestCertificate } from './test-certificate.ts';

let certificate: TestCertificate;
beforeAll(async () => {
  certificate = await createTestCertificate();
});
afterAll(() => certificate.remove());

describe('startWebhooks', () => {
  it('serves HTTPS with the certificate it is given', async () => {
    const log: string[] = [];
    const webhooks = await startWebhooks({ webhookAddress: '127.0.0.1:0', tlsCertFile: certificate.certFile, tlsKeyFile: certificate.keyFile }, new MemoryConfigStore(), { required: true, log: (m) => log.push(m) });
    try {
      const status = await new Promise<number | undefined>((resolve, reject) => {
        get({ host: '127.0.0.1', port: webhooks.port, path: '/httpsReady', ca: certificate.cert, servername: 'istiod.istio-system.svc' }, (res) => {
          res.resume().on('end', () => resolve(res.statusCode));
        }).on('error', reject);
      });
      expect(status).toBe(200);
      expect(log).toEqual([`istiod: webhooks /inject and /validate on https://127.0.0.1:${webhooks.port}`]);
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
