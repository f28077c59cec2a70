import { copyFile, readFile, rm, unlink, writeFile } from 'node:fs/promises';
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

interface Page {
  version: string;
  html: string;
}

async function productpage(user?: string): Promise<Page> {
  const response = await fetch(`${mesh.urls.get('productpage.default')}productpage`, { headers: user ? { cookie: `user=${user}` } : {} });
  const html = await response.text();
  expect(response.status, html).toBe(200);
  const served = /Reviews served by:<\/dt><dd><u>reviews-(v\d)-/.exec(html);
  return { version: served?.[1] ?? 'none', html };
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
    for (let i = 0; i < 9 && versions.size < 3; i++) versions.add((await productpage()).version);
    expect([...versions].sort()).toEqual(['v1', 'v2', 'v3']);
  }, 60_000);

  it('serves the product page through the ingress gateway on the host loopback once the gateway is applied', async () => {
    const ingress = mesh.urls.get('istio-ingressgateway.istio-system');
    expect(ingress).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    await apply('bookinfo-gateway.yaml');
    const deadline = Date.now() + 30_000;
    let last = '';
    for (;;) {
      const response = await fetch(`${ingress}productpage`).catch((error: Error) => error);
      if (!(response instanceof Error) && response.status === 200) {
        const html = await response.text();
        expect(html).toMatch(/Reviews served by:<\/dt><dd><u>reviews-v\d-/);
        break;
      }
      last = response instanceof Error ? response.message : `HTTP ${response.status}`;
      if (Date.now() > deadline) throw new Error(`the gateway did not serve /productpage: ${last}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
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
});
