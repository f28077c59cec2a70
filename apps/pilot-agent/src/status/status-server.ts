import { createServer, type Server } from 'node:http';
import type { ProbeResult } from './app-probers.ts';
import type { Readiness } from './readiness.ts';

/** What the agent's HTTP servers answer. The readiness server (15021) has only readiness; the
 *  agent's own port (15020) also has merged metrics and the rewritten app probes. */
export interface StatusRoutes {
  readiness: () => Promise<Readiness>;
  /** GET /stats/prometheus. */
  metrics?: () => Promise<string>;
  /** GET /app-health/CONTAINER/readyz|livez|startupz: the probe to run, undefined for a path
   *  no probe has. */
  appProbe?: (path: string) => (() => Promise<ProbeResult>) | undefined;
}

/** Serves the routes on every address, so that the kubelet and Prometheus reach the pod IP.
 *  A readiness function alone is the readiness server. */
export async function startStatusServer(port: number, routes: StatusRoutes | (() => Promise<Readiness>), host?: string): Promise<Server> {
  const { readiness, metrics, appProbe } = typeof routes === 'function' ? { readiness: routes } as StatusRoutes : routes;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const text = (status: number, body: string, type = 'text/plain') => res.writeHead(status, { 'content-type': type }).end(body);
    const probe = path.startsWith('/app-health/') ? appProbe?.(path) : undefined;
    const known = path === '/healthz/ready' || (path === '/stats/prometheus' && metrics) || probe;
    if (!known) return text(404, `no such path: ${path}\n`);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'content-type': 'text/plain', allow: 'GET, HEAD' }).end(`method ${req.method} not allowed\n`);
      return;
    }
    if (probe) {
      probe().then((r) => text(r.status, r.body), (error: Error) => text(500, `probe failed: ${error.message}\n`));
    } else if (path === '/stats/prometheus' && metrics) {
      metrics().then((page) => text(200, page, 'text/plain; version=0.0.4; charset=utf-8'), (error: Error) => text(500, `metrics failed: ${error.message}\n`));
    } else {
      readiness().then(
        (r) => text(r.ready ? 200 : 503, `${r.reason}\n`),
        (error: Error) => text(503, `readiness check failed: ${error.message}\n`),
      );
    }
  });
  await new Promise<void>((resolve, reject) => {
    const fail = (error: Error) => reject(new Error(`cannot serve status on port ${port}: ${error.message}`, { cause: error }));
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      resolve();
    });
  });
  return server;
}
