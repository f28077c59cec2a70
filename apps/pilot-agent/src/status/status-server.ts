import { createServer, type Server } from 'node:http';
import type { Readiness } from './readiness.ts';

/** The agent's status server: GET /healthz/ready is 200 once the proxy is ready, else 503
 *  with the reason. It listens on every address so that the kubelet can probe the pod IP. */
export async function startStatusServer(port: number, readiness: () => Promise<Readiness>, host?: string): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/healthz/ready') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`no such path: ${path}\n`);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'content-type': 'text/plain', allow: 'GET, HEAD' }).end(`method ${req.method} not allowed\n`);
      return;
    }
    readiness().then(
      (r) => res.writeHead(r.ready ? 200 : 503, { 'content-type': 'text/plain' }).end(`${r.reason}\n`),
      (error: Error) => res.writeHead(503, { 'content-type': 'text/plain' }).end(`readiness check failed: ${error.message}\n`),
    );
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
