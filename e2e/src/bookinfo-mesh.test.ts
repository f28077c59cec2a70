import { copyFile, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScript } from '@mizzen/testing';
import { MeshProcess, openTempDir, mizzenctl, repoRoot, type ReadyMesh } from './mesh-process.ts';

// Istio's Bookinfo routing tasks through real sidecars: the mesh reads a folder of manifests,
// and applying a task is adding its YAML to that folder, as `kubectl apply` adds it to a cluster.

const networking = join(repoRoot, 'samples/bookinfo/networking');

let configDir: string;
let stateDir: string;
let runner: MeshProcess;
let mesh: ReadyMesh;
/** The ingress gateway's URL on the host's loopback: the tasks' traffic comes in there. */
let ingress: string;

// What the page shows when a call fails, as Istio's Bookinfo words it.
const reviewsUnavailable = 'Sorry, product reviews are currently unavailable for this book.';
const ratingsUnavailable = 'Ratings service is currently unavailable';

interface Page {
  version: string;
  html: string;
  /** From sending the request to the end of the page. */
  elapsedMs: number;
}

/** The product page, signed in as `user` when given, through the gateway unless `base` says otherwise. */
async function productpage(user?: string, base = ingress): Promise<Page> {
  const started = performance.now();
  const response = await fetch(`${base}productpage`, { headers: user ? { cookie: `user=${user}` } : {} });
  const html = await response.text();
  expect(response.status, html).toBe(200);
  const served = /Reviews served by:<\/dt><dd><u>reviews-(v\d)-/.exec(html);
  return { version: served?.[1] ?? 'none', html, elapsedMs: performance.now() - started };
}

/** `count` pages, a few requests at a time (each one routed on its own, so the order is no matter). */
async function manyPages(count: number, user?: string): Promise<Page[]> {
  const pages: Page[] = [];
  const worker = async (): Promise<void> => {
    while (pages.length + inFlight < count) {
      inFlight++;
      const page = await productpage(user).finally(() => inFlight--);
      pages.push(page);
    }
  };
  let inFlight = 0;
  await Promise.all(Array.from({ length: 6 }, worker));
  return pages;
}

/** The fewest and the most v1 pages out of `n` that a fair 50/50 split gives except with
 *  probability below `alpha` (both tails together), from the binomial distribution. */
function fairSplitBounds(n: number, alpha: number): [number, number] {
  let pmf = 0.5 ** n; // P(X = 0)
  let below = 0; // P(X < k)
  for (let k = 0; ; k++) {
    if (2 * (below + pmf) >= alpha) return [k, n - k];
    below += pmf;
    pmf *= (n - k) / (k + 1);
  }
}

/** Config reaches the proxies asynchronously: ask until `accept` holds for `streak` pages in a row. */
async function pagesSettle(accept: (page: Page) => boolean, user?: string, streak = 6): Promise<void> {
  const deadline = Date.now() + 30_000;
  let inARow = 0;
  let last: Page | undefined;
  while (inARow < streak) {
    if (Date.now() > deadline) throw new Error(`routing did not settle; last page served by ${last?.version}`);
    last = await productpage(user);
    inARow = accept(last) ? inARow + 1 : 0;
  }
}

async function apply(...files: string[]): Promise<void> {
  for (const file of files) await copyFile(join(networking, file), join(configDir, file));
}

/** Replaces the rule a task file applied with another task's rule of the same name, as
 *  `kubectl apply` replaces it: the new text goes over the old file in one rename (from a dot
 *  file, which the mesh does not read), then the file takes its new name. The mesh never sees
 *  the folder without the rule, whose traffic (every version) would blur what a test counts. */
async function replace(applied: string, next: string): Promise<void> {
  const hidden = join(configDir, `.${next}`);
  await copyFile(join(networking, next), hidden);
  await rename(hidden, join(configDir, applied));
  await rename(join(configDir, applied), join(configDir, next));
}

describe('Bookinfo on one machine', () => {
  beforeAll(async () => {
    configDir = await openTempDir('mizzen-bookinfo-');
    stateDir = await openTempDir('mizzen-e2e-');
    // The folder lives outside the repository, so the containers' commands name absolute paths.
    const manifests = await readFile(join(repoRoot, 'samples/bookinfo/manifests/bookinfo.yaml'), 'utf8');
    await writeFile(join(configDir, 'bookinfo.yaml'), manifests.replaceAll('samples/bookinfo/src/', join(repoRoot, 'samples/bookinfo/src/')));
    await copyFile(join(repoRoot, 'samples/bookinfo/manifests/istio-ingressgateway.yaml'), join(configDir, 'istio-ingressgateway.yaml'));
    runner = new MeshProcess(configDir, stateDir);
    mesh = await runner.ready();
    ingress = mesh.urls.get('istio-ingressgateway.istio-system') ?? '';
  }, 150_000);

  afterAll(async () => {
    await runner?.stop();
    const down = await runScript(mizzenctl, ['local', 'down', '--state-dir', stateDir], { timeoutMs: 30_000 });
    expect(down.code, down.stderr).toBe(0);
    await rm(stateDir, { recursive: true, force: true });
    await rm(configDir, { recursive: true, force: true });
  }, 60_000);

  it('serves the product page from every reviews version when no rule routes', async () => {
    const versions = new Set<string>();
    for (let i = 0; i < 9 && versions.size < 3; i++) versions.add((await productpage(undefined, mesh.urls.get('productpage.default'))).version);
    expect([...versions].sort()).toEqual(['v1', 'v2', 'v3']);
  }, 60_000);

  it('serves the product page through the ingress gateway on the host loopback once the gateway is applied', async () => {
    expect(ingress).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    await apply('bookinfo-gateway.yaml');
    // Until the gateway has its listener and route, each request fails at once (refused, or a
    // 404); the next one goes straight after.
    const deadline = Date.now() + 30_000;
    let last = '';
    for (let attempts = 1; ; attempts++) {
      const response = await fetch(`${ingress}productpage`).catch((error: Error) => error);
      if (!(response instanceof Error) && response.status === 200) {
        const html = await response.text();
        expect(html).toMatch(/Reviews served by:<\/dt><dd><u>reviews-v\d-/);
        break;
      }
      last = response instanceof Error ? response.message : `HTTP ${response.status}`;
      if (Date.now() > deadline) throw new Error(`the gateway did not serve /productpage: ${last}`);
    }
    // Only the paths the VirtualService names go in.
    expect((await fetch(`${ingress}nowhere`)).status).toBe(404);
  }, 60_000);

  it('routes all traffic to v1, then jason alone to v2', async () => {
    await apply('destination-rule-all.yaml', 'virtual-service-all-v1.yaml');
    await pagesSettle((page) => page.version === 'v1');

    // Istio's task replaces the reviews rule; here the file that held it goes, the new one comes.
    await unlink(join(configDir, 'virtual-service-all-v1.yaml'));
    await apply('virtual-service-reviews-test-v2.yaml');
    await pagesSettle((page) => page.version === 'v2' && page.html.includes('black'), 'jason');
    await pagesSettle((page) => page.version === 'v1');
  }, 90_000);

  it('aborts ratings for jason with a 500, and the page says ratings are unavailable', async () => {
    await apply('virtual-service-ratings-test-abort.yaml');
    await pagesSettle((page) => page.version === 'v2' && page.html.includes('Ratings service is currently unavailable'), 'jason');
    const other = await productpage();
    expect(other.html).not.toContain('Ratings service is currently unavailable');
  }, 60_000);

  it('delays ratings 7 s for jason: productpage gives up on reviews first and shows its error, while everyone else sees reviews', async () => {
    // On top of jason to reviews v2 (from the test before), whose call to ratings now waits 7 s.
    await replace('virtual-service-ratings-test-abort.yaml', 'virtual-service-ratings-test-delay.yaml');
    const deadline = Date.now() + 30_000;
    let jason: Page;
    for (;;) {
      // Until reviews v2's sidecar has the delay, jason's page comes at once with the abort's error.
      const [signedIn, other] = await Promise.all([productpage('jason'), productpage()]);
      // Whoever is not jason goes to v1, which calls no ratings: never delayed.
      expect(other.version).toBe('v1');
      expect(other.html).toMatch(/<blockquote>/);
      expect(other.html).not.toContain(reviewsUnavailable);
      jason = signedIn;
      if (jason.html.includes(reviewsUnavailable)) break;
      expect(jason.html, 'jason, before the delay').toContain(ratingsUnavailable);
      if (Date.now() > deadline) throw new Error('jason never saw the delay');
    }
    // productpage waits 3 s for reviews and tries once more (Istio's productpage does the same),
    // while reviews v2 would wait 10 s for ratings: the page comes after two timeouts, with
    // reviews' error. The page's content proves it; the times only bound it loosely (no earlier
    // than the two timeouts, well before reviews' own 10 s), as a loaded machine runs late.
    expect(jason.version).toBe('none');
    expect(jason.elapsedMs).toBeGreaterThanOrEqual(5_900);
    expect(jason.elapsedMs).toBeLessThan(10_000);
    expect(jason.html).toContain('Book Details');
    expect(jason.html).not.toContain('Sorry, product details are currently unavailable');

    await unlink(join(configDir, 'virtual-service-ratings-test-delay.yaml'));
  }, 60_000);

  it('shifts reviews traffic 50/50 between v1 and v3, then all of it to v3', async () => {
    await replace('virtual-service-reviews-test-v2.yaml', 'virtual-service-reviews-50-v3.yaml');
    // Before the split arrives everyone but jason sees v1 only: the first v3 page says it has.
    await pagesSettle((page) => page.version === 'v3', undefined, 1);

    // Each request goes to v1 with probability 1/2, on its own. Out of 300, a fair split gives
    // between 108 and 192 v1 pages except with probability below 1e-6; a 75/25 split lands
    // inside with probability about 1e-5, an all-to-one split never.
    const n = 300;
    const [fewest, most] = fairSplitBounds(n, 1e-6);
    const pages = await manyPages(n);
    const v1 = pages.filter((page) => page.version === 'v1');
    const v3 = pages.filter((page) => page.version === 'v3');
    expect(v1.length + v3.length, 'pages served by neither v1 nor v3').toBe(n);
    expect(v1.length).toBeGreaterThanOrEqual(fewest);
    expect(v1.length).toBeLessThanOrEqual(most);
    // v1 shows no stars, v3 red ones.
    for (const page of v1) expect(page.html).not.toContain('data-stars');
    for (const page of v3) expect(page.html).toMatch(/style="color: red" data-stars="\d"/);

    await replace('virtual-service-reviews-50-v3.yaml', 'virtual-service-reviews-v3.yaml');
    // 30 v3 pages in a row happen under the split with probability 2^-30: the rule has arrived.
    await pagesSettle((page) => page.version === 'v3', undefined, 30);
    const after = await manyPages(100);
    expect(after.filter((page) => page.version !== 'v3').map((page) => page.version)).toEqual([]);
    for (const page of after) expect(page.html).toMatch(/style="color: red" data-stars="\d"/);
  }, 90_000);
});
