import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCommandLine } from '../command-line.ts';
import type { ExplainStep } from './explain.ts';

// Saved dumps made of istiod's golden output for a reviews pod: captured (REDIRECT) with the
// jason-to-v2 and the 50/50 v1/v3 tasks, and without capture (interception mode NONE); and one
// read from the hello frontend's sidecar in a local mesh.
const dump = (name: string) => fileURLToPath(new URL(`./testdata/${name}.json`, import.meta.url));

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCommandLine(['node', 'mizzenctl', 'x', 'explain', ...args], { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

async function steps(args: string[]): Promise<ExplainStep[]> {
  const result = await run([...args, '-o', 'json']);
  expect(result.err).toBe('');
  return JSON.parse(result.out) as ExplainStep[];
}

const brief = (list: ExplainStep[]) => list.map((s) => `${s.step}: ${s.name}${s.source ? ` <- ${s.source}` : ''}`);

describe('mizzenctl x explain', () => {
  it("follows a captured request through the VirtualService's header match to its subset", async () => {
    const jason = await steps(['reviews-v1', 'http://reviews:9080/reviews/0', '-H', 'end-user: jason', '-f', dump('reviews-redirect-jason-v2')]);
    expect(brief(jason)).toEqual([
      'destination: 10.96.0.11:9080',
      "capture: virtualOutbound <- Istio's capture listener",
      'listener: 0.0.0.0_9080 <- Service port 9080 (outbound)',
      'filter chain: #0',
      'route configuration: 9080',
      'virtual host: reviews.default.svc.cluster.local:9080 <- Service reviews.default.svc.cluster.local port 9080',
      'route: #0 <- VirtualService reviews.default',
      "cluster: outbound|9080|v2|reviews.default.svc.cluster.local <- Service reviews.default.svc.cluster.local port 9080, subset v2 (a DestinationRule's subset)",
      'endpoints: none',
    ]);
    expect(jason[6].detail).toBe('first match: prefix "/" and header end-user exact "jason"');
    const others = await steps(['reviews-v1', 'http://reviews.default:9080/', '-f', dump('reviews-redirect-jason-v2')]);
    expect(others.find((s) => s.step === 'route')).toMatchObject({ name: '#1', detail: 'first match: prefix "/"' });
    expect(others.find((s) => s.step === 'cluster')?.name).toBe('outbound|9080|v1|reviews.default.svc.cluster.local');
  });

  it('lists both clusters of a weighted route', async () => {
    const list = await steps(['reviews-v1', 'http://reviews:9080/', '-f', dump('reviews-redirect-50-v3')]);
    expect(list.find((s) => s.step === 'weighted clusters')?.detail).toBe(
      'the proxy picks one by weight: outbound|9080|v1|reviews.default.svc.cluster.local 50%, outbound|9080|v3|reviews.default.svc.cluster.local 50%',
    );
    expect(list.filter((s) => s.step === 'cluster').map((s) => s.detail)).toEqual(['EDS, weight 50', 'EDS, weight 50']);
  });

  it('finds the endpoints of a route without VirtualService, on a sidecar without capture', async () => {
    const list = await steps(['reviews-v1', 'http://ratings:7070/ratings/0', '-f', dump('reviews-none')]);
    expect(brief(list)).toEqual([
      'destination: 127.0.0.1:7070',
      'listener: 127.0.0.1_7070 <- Service port 7070 (outbound)',
      'filter chain: #0',
      'route configuration: 7070',
      'virtual host: ratings.default.svc.cluster.local:7070 <- Service ratings.default.svc.cluster.local port 7070',
      "route: #0 default <- Istio's default route (no VirtualService)",
      'cluster: outbound|7070||ratings.default.svc.cluster.local <- Service ratings.default.svc.cluster.local port 7070',
      'endpoints: 1',
    ]);
    expect(list[7].detail).toBe('10.244.0.13:7070 HEALTHY');
    expect((await steps(['p', 'http://ratings:7171/', '-f', dump('reviews-none')])).at(-1)).toMatchObject({ step: 'end', name: 'connection refused' });
  });

  it('takes a TCP service through its own listener, and an unknown host through the passthrough', async () => {
    const mongo = await steps(['reviews-v1', 'http://mongodb:27017/', '-f', dump('reviews-redirect-jason-v2')]);
    expect(brief(mongo).slice(2)).toEqual([
      'listener: 10.96.0.13_27017 <- Service port 27017 (outbound)',
      'filter chain: #0',
      'network filter: tcp_proxy',
      'cluster: outbound|27017||mongodb.default.svc.cluster.local <- Service mongodb.default.svc.cluster.local port 27017',
      'endpoints: 1',
    ]);
    const external = await steps(['reviews-v1', 'http://example.com/', '--address', '93.184.216.34', '-f', dump('reviews-redirect-jason-v2')]);
    expect(brief(external).slice(1)).toEqual([
      "listener: virtualOutbound <- Istio's capture listener",
      'filter chain: #1 virtualOutbound-catchall-tcp',
      'network filter: tcp_proxy',
      'cluster: PassthroughCluster',
      'endpoints: the original destination',
    ]);
  });

  it("reads a dump of the mesh's own proxy: a captured call from the hello frontend to the backend's two pods", async () => {
    const list = await steps(['hello-frontend', 'http://hello-backend:9000/', '-f', dump('hello-frontend-live')]);
    expect(brief(list)).toEqual([
      'destination: 10.245.5.53:9000',
      "capture: virtualOutbound <- Istio's capture listener",
      'listener: 0.0.0.0_9000 <- Service port 9000 (outbound)',
      'filter chain: #0',
      'route configuration: 9000',
      'virtual host: hello-backend.default.svc.cluster.local:9000 <- Service hello-backend.default.svc.cluster.local port 9000',
      "route: #0 default <- Istio's default route (no VirtualService)",
      'cluster: outbound|9000||hello-backend.default.svc.cluster.local <- Service hello-backend.default.svc.cluster.local port 9000',
      'endpoints: 2',
    ]);
    expect(list.at(-1)?.detail).toBe('10.244.125.3:9090 HEALTHY, 10.244.125.2:9090 HEALTHY');
  });

  it('prints a table, and says what is wrong with its input', async () => {
    const table = await run(['reviews-v1', 'http://reviews:9080/', '-f', dump('reviews-redirect-jason-v2')]);
    expect(table.out.split('\n')[0]).toMatch(/^STEP +CHOSEN +WHY +FROM$/);
    expect(table.out).toContain('VIRTUAL HOST ');
    expect(await run(['p', 'ftp://x/', '-f', dump('reviews-none')])).toMatchObject({ code: 1, err: 'error: URL ftp://x/: scheme must be http or https, got ftp\n' });
    expect(await run(['p', 'http://x/', '-H', 'nocolon', '-f', dump('reviews-none')])).toMatchObject({ code: 1, err: 'error: header "nocolon": expected NAME:VALUE\n' });
    expect(await run(['p', 'http://x/', '-f', dump('missing')])).toMatchObject({ code: 1, err: expect.stringContaining('missing.json: cannot read') });
    expect(await run(['p', 'http://x/', '-f', dump('reviews-none'), '-o', 'xml'])).toMatchObject({ code: 2 });
  });
});
