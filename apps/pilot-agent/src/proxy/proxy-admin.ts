import { request } from 'node:http';

export interface AdminAnswer {
  status: number;
  body: string;
}

/** One request to the proxy's admin API on 127.0.0.1; rejects naming the admin and the reason. */
export function adminRequest(port: number, method: 'GET' | 'POST', path: string, timeoutMs = 2000): Promise<AdminAnswer> {
  const where = `proxy admin 127.0.0.1:${port} ${method} ${path.split('?')[0]}`;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('error', (error) => reject(new Error(`${where}: ${error.message}`)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (error: NodeJS.ErrnoException) => reject(new Error(`${where}: ${error.code ?? error.message}`)));
    req.end();
  });
}

/** Asks the proxy to stop accepting and to drain what it has (Envoy's graceful listener drain). */
export async function drainListeners(port: number): Promise<void> {
  const answer = await adminRequest(port, 'POST', '/drain_listeners?graceful');
  if (answer.status !== 200) throw new Error(`proxy admin 127.0.0.1:${port} POST /drain_listeners answered ${answer.status}: ${answer.body.trim()}`);
}

/** The proxy's open downstream connections, summed over its listeners and connection managers. */
export async function activeConnections(port: number): Promise<number> {
  const answer = await adminRequest(port, 'GET', '/stats?usedonly&filter=downstream_cx_active$');
  if (answer.status !== 200) throw new Error(`proxy admin 127.0.0.1:${port} GET /stats answered ${answer.status}`);
  return sumActiveConnections(answer.body);
}

/** Sums `NAME: VALUE` stat lines ending in downstream_cx_active; the admin's own connection
 *  does not count, as it is the one asking. */
export function sumActiveConnections(statsText: string): number {
  let total = 0;
  for (const line of statsText.split('\n')) {
    const match = /^(\S+):\s*(\d+)\s*$/.exec(line);
    if (!match || !match[1].endsWith('downstream_cx_active') || match[1].includes('admin')) continue;
    total += Number(match[2]);
  }
  return total;
}
