import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort } from '@mizzen/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { mergedMetrics, parsePrometheusAnnotations, scrape } from './merged-metrics.ts';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

describe('merged metrics', () => {
  it('reads the prometheus annotations the injector passes on', () => {
    expect(parsePrometheusAnnotations({ scrape: 'true', port: '9080', path: '/stats' })).toEqual({ port: 9080, path: '/stats' });
    expect(parsePrometheusAnnotations({ port: 8080 })).toEqual({ port: 8080, path: '/metrics' });
    expect(parsePrometheusAnnotations({ scrape: 'false', port: '9080' })).toBeUndefined();
    expect(parsePrometheusAnnotations(undefined)).toBeUndefined();
    expect(() => parsePrometheusAnnotations({ scrape: 'true', port: 'web' })).toThrow(/ISTIO_PROMETHEUS_ANNOTATIONS.port: "web" is not a port number/);
  });

  it('joins every source’s page, and says which one failed', async () => {
    const server = createServer((req, res) => res.writeHead(req.url === '/metrics' ? 200 : 404).end('app_requests_total 3'));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const closed = await freePort();
    const page = await mergedMetrics([
      { name: 'proxy', scrape: () => scrape(closed, '/stats/prometheus') },
      { name: 'app', scrape: () => scrape(port, '/metrics') },
      { name: 'agent', scrape: async () => '# TYPE istio_agent_x counter\nistio_agent_x 1\n' },
    ]);
    expect(page).toBe(`# proxy metrics unavailable: 127.0.0.1:${closed}/stats/prometheus: ECONNREFUSED\napp_requests_total 3\n# TYPE istio_agent_x counter\nistio_agent_x 1\n`);
    await expect(scrape(port, '/other')).rejects.toThrow(`127.0.0.1:${port}/other answered 404`);
  });
});
