import { request } from 'node:http';
import { EnvironmentError } from '../bootstrap/pod-identity.ts';

/** Where the app serves its own metrics (from its prometheus.io annotations). */
export interface AppMetricsTarget {
  port: number;
  path: string;
}

/** Reads ISTIO_PROMETHEUS_ANNOTATIONS, `{"scrape":"true","port":"9080","path":"/metrics"}` as the
 *  injector copies the pod's prometheus.io annotations; undefined when the app is not scraped. */
export function parsePrometheusAnnotations(value: unknown): AppMetricsTarget | undefined {
  if (value === undefined) return undefined;
  const where = 'environment variable ISTIO_PROMETHEUS_ANNOTATIONS';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new EnvironmentError(`${where}: must be a JSON object`);
  const { scrape, port, path } = value as { scrape?: unknown; port?: unknown; path?: unknown };
  if (String(scrape ?? 'true') !== 'true') return undefined;
  const n = Number(port);
  if (port === undefined || !Number.isInteger(n) || n < 1 || n > 65535) throw new EnvironmentError(`${where}.port: ${JSON.stringify(port)} is not a port number`);
  if (path !== undefined && (typeof path !== 'string' || !path.startsWith('/'))) throw new EnvironmentError(`${where}.path: must be a path starting with /`);
  return { port: n, path: (path as string | undefined) ?? '/metrics' };
}

/** A Prometheus text page from 127.0.0.1; rejects naming the source and the reason. */
export function scrape(port: number, path: string, timeoutMs = 2000): Promise<string> {
  const where = `127.0.0.1:${port}${path}`;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('error', (error) => reject(new Error(`${where}: ${error.message}`)));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${where} answered ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (error: NodeJS.ErrnoException) => reject(new Error(`${where}: ${error.code ?? error.message}`)));
    req.end();
  });
}

/**
 * Istio's merged metrics: the proxy's, the app's (when annotated) and the agent's own, one page.
 * A source that fails is left out with a comment saying why; the others are still served.
 */
export async function mergedMetrics(sources: { name: string; scrape: () => Promise<string> }[]): Promise<string> {
  const pages = await Promise.all(
    sources.map(({ name, scrape }) =>
      scrape().then(
        (text) => (text === '' || text.endsWith('\n') ? text : `${text}\n`),
        (error: Error) => `# ${name} metrics unavailable: ${error.message.replace(/\n/g, ' ')}\n`,
      ),
    ),
  );
  return pages.join('');
}
