import { request } from 'node:http';

export interface Readiness {
  ready: boolean;
  /** Why not, for the 503 body; "ready" otherwise. */
  reason: string;
}

/** Asks the proxy's admin API whether it is LIVE: its /ready answers 200 only once the proxy
 *  has its first configuration. */
export function probeProxyReady(adminPort: number, timeoutMs = 1000): Promise<Readiness> {
  const where = `proxy admin 127.0.0.1:${adminPort}`;
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port: adminPort, path: '/ready', method: 'GET', timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('error', (error) => resolve({ ready: false, reason: `${where} /ready failed: ${error.message}` }));
      res.on('end', () => {
        if (res.statusCode === 200) resolve({ ready: true, reason: 'ready' });
        else resolve({ ready: false, reason: `${where} /ready answered ${res.statusCode}: ${body.trim()}` });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ ready: false, reason: `${where} unreachable: ${error.code ?? error.message}` }));
    req.end();
  });
}
