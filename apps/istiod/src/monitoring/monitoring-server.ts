import { createServer, type Server } from 'node:http';
import { contentType } from './prometheus-text.ts';

/** istiod's monitoring port (15014): `/metrics` in Prometheus' text format. */
export function createMonitoringServer(metricsText: () => string): Server {
  return createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end(`${path}: not found; metrics are at /metrics\n`);
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end(`${request.method} not allowed on /metrics\n`);
      return;
    }
    let body: string;
    try {
      body = metricsText();
    } catch (error) {
      // A bug in one metric must not take istiod down; the scrape fails instead.
      response.writeHead(500, { 'content-type': 'text/plain' }).end(`cannot collect metrics: ${(error as Error).message}\n`);
      return;
    }
    response.writeHead(200, { 'content-type': contentType }).end(request.method === 'HEAD' ? undefined : body);
  });
}
