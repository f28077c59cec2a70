import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execInNetns } from '@mizzen/net';
import { runScript } from '@mizzen/testing';
import { podLog, startOwnMesh, stopOwnMesh, waitFor, type OwnMesh } from './mesh-control.ts';
import { mizzenctl, repoRoot } from './mesh-process.ts';

// `mizzenctl x explain` against the real path: on the local Bookinfo mesh, explain names the
// cluster and endpoints a request from productpage to reviews would take, read from
// productpage's sidecar; then the same request goes out from productpage's own network
// namespace (captured by its sidecar), and the sidecar's access log (Istio's format, with the
// request's id, upstream host and cluster) and reviews' answer (its pod name) must show that
// path: the cluster explain named, and one of that cluster's endpoints.

const meshConfig = `apiVersion: v1
kind: ConfigMap
metadata:
  name: istio
  namespace: istio-system
data:
  mesh: |
    accessLogFile: /dev/stdout
    accessLogEncoding: TEXT
`;

const networking = (file: string) => readFile(join(repoRoot, 'samples/bookinfo/networking', file), 'utf8');
const reviewsUrl = 'http://reviews:9080/reviews/0';
const cluster = (subset: string) => `outbound|9080|${subset}|reviews.default.svc.cluster.local`;

interface Step {
  step: string;
  name: string;
  detail: string;
  source?: string;
}

/** What explain says a request takes: each cluster it may go to, with that cluster's endpoints. */
interface Explained {
  steps: Step[];
  clusters: Map<string, string[]>;
}

interface Taken {
  cluster: string;
  upstreamHost: string;
  pod: string;
}

let own: OwnMesh | undefined;
let productpage = '';
let netns = '';
let requests = 0;

async function explain(headers: string[]): Promise<Explained> {
  const args = ['x', 'explain', productpage, reviewsUrl, ...headers.flatMap((header) => ['-H', header]), '-o', 'json', '--state-dir', own!.stateDir];
  const result = await runScript(mizzenctl, args, { timeoutMs: 60_000 });
  if (result.code !== 0) throw new Error(`x explain exited ${result.code}: ${result.stderr}`);
  const steps = JSON.parse(result.stdout) as Step[];
  const clusters = new Map<string, string[]>();
  steps.forEach((step, i) => {
    if (step.step !== 'cluster') return;
    const endpoints = steps[i + 1];
    expect(endpoints?.step).toBe('endpoints');
    clusters.set(step.name, [...endpoints.detail.matchAll(/(\d+\.\d+\.\d+\.\d+:\d+) HEALTHY/g)].map((m) => m[1]));
  });
  return { steps, clusters };
}

/** Explains until the sidecar's config routes as `expected` says (config reaches it a moment
 *  after the file changes). */
async function explainOnce(headers: string[], expected: string[]): Promise<Explained> {
  const { value } = await waitFor(
    `explain naming ${expected.join(', ')}`,
    async () => {
      const explained = await explain(headers);
      return [...explained.clusters.keys()].sort().join() === [...expected].sort().join() && [...explained.clusters.values()].every((e) => e.length > 0) ? explained : undefined;
    },
    90_000,
    500,
  );
  return value;
}

/** Sends the request from productpage's network namespace, as the app would, and reads where
 *  it went from the sidecar's access log line carrying its request id. */
async function send(headers: string[]): Promise<Taken> {
  const id = `ctl-explain-${++requests}`;
  const args = ['-sS', '--fail', '--max-time', '20', '-H', `x-request-id: ${id}`, ...headers.flatMap((header) => ['-H', header]), reviewsUrl];
  const result = await execInNetns(netns, 'curl', args);
  expect(result.code, result.stderr).toBe(0);
  const pod = (JSON.parse(result.stdout) as { podname: string }).podname;
  const pattern = new RegExp(`"${id}" "[^"]*" "([^"]*)" (\\S+)`);
  const { value } = await waitFor(
    `the access log line of ${id}`,
    async () => {
      const log = await readFile(podLog(own!, productpage, 'istio-proxy'), 'utf8');
      const match = pattern.exec(log);
      return match ? { upstreamHost: match[1], cluster: match[2] } : undefined;
    },
    20_000,
  );
  return { ...value, pod };
}

/** The request took a cluster explain named, an endpoint explain listed for it, and the pod
 *  behind that endpoint answered. */
function expectExplained(taken: Taken, explained: Explained): void {
  expect([...explained.clusters.keys()]).toContain(taken.cluster);
  expect(explained.clusters.get(taken.cluster)).toContain(taken.upstreamHost);
  // The endpoint is the pod's address at the service's target port.
  expect(taken.upstreamHost.slice(0, taken.upstreamHost.lastIndexOf(':'))).toBe(own!.mesh.pods.get(taken.pod));
}

describe('x explain against the path requests take', () => {
  beforeAll(async () => {
    own = await startOwnMesh('samples/bookinfo/manifests', {
      'mesh-config.yaml': meshConfig,
      'destination-rule-all.yaml': await networking('destination-rule-all.yaml'),
      'virtual-service-reviews.yaml': await networking('virtual-service-reviews-test-v2.yaml'),
    });
    productpage = [...own.mesh.pods.keys()].find((name) => name.startsWith('productpage-v1-'))!;
    const record = JSON.parse(await readFile(join(own.stateDir, own.mesh.id, 'mesh.json'), 'utf8')) as { pods: { name: string; netns: string }[] };
    netns = record.pods.find((pod) => pod.name === productpage)!.netns;
  }, 240_000);

  afterAll(async () => {
    if (own) await stopOwnMesh(own);
  }, 60_000);

  it('shows the running sidecar in proxy-config and proxy-status rows, as istioctl prints them', async () => {
    // Explain first: it waits until the sidecar has the rule, so the views below see it too.
    await explainOnce(['end-user: jason'], [cluster('v2')]);
    const ctl = async (...args: string[]): Promise<string[]> => {
      const result = await runScript(mizzenctl, [...args, '--state-dir', own!.stateDir], { timeoutMs: 60_000 });
      expect(result.code, result.stderr).toBe(0);
      return result.stdout.trimEnd().split('\n');
    };
    const reviewsPods = [...own!.mesh.pods].filter(([name]) => name.startsWith('reviews-v2-'));

    const clusters = await ctl('proxy-config', 'clusters', productpage, '--fqdn', 'reviews');
    expect(clusters[0]).toMatch(/^SERVICE FQDN\s+PORT\s+SUBSET\s+DIRECTION\s+TYPE\s+DESTINATION RULE$/);
    for (const subset of ['-', 'v1', 'v2', 'v3']) {
      // The rule names every cluster it shapes; the subset-less one too when it sets a policy.
      const rule = subset === '-' ? '(\\s+reviews\\.default)?' : '\\s+reviews\\.default';
      expect(clusters).toContainEqual(expect.stringMatching(new RegExp(`^reviews\\.default\\.svc\\.cluster\\.local\\s+9080\\s+${subset}\\s+outbound\\s+EDS${rule}\\s*$`)));
    }

    const endpoints = await ctl('proxy-config', 'endpoints', productpage, '--cluster', cluster('v2'));
    // Pods' addresses at the service's target port.
    expect(endpoints.slice(1).map((row) => row.split(/\s+/)[0].replace(/:\d+$/, '')).sort()).toEqual(reviewsPods.map(([, ip]) => ip).sort());
    for (const row of endpoints.slice(1)) expect(row).toMatch(new RegExp(`\\sHEALTHY\\s+OK\\s+${cluster('v2').replaceAll('|', '\\|')}$`));

    const routes = await ctl('proxy-config', 'routes', productpage, '--name', '9080');
    expect(routes).toContainEqual(expect.stringMatching(/^9080\s+reviews\.default\.svc\.cluster\.local:9080\s.*\sreviews\.default$/));

    const status = await ctl('proxy-status');
    expect(status[0]).toMatch(/^NAME\s+CLUSTER\s+CDS\s+LDS\s+EDS\s+RDS\s+ECDS\s+ISTIOD\s+VERSION$/);
    const row = status.find((line) => line.startsWith(`${productpage}.default `));
    expect(row).toMatch(/\s+SYNCED\s+SYNCED\s+SYNCED\s+SYNCED\s+/);
  }, 120_000);

  it("sends jason's request to reviews v2, as explained", async () => {
    const explained = await explainOnce(['end-user: jason'], [cluster('v2')]);
    expect(explained.steps.find((step) => step.step === 'route')?.source).toBe('VirtualService reviews.default');
    for (let i = 0; i < 3; i++) {
      const taken = await send(['end-user: jason']);
      expectExplained(taken, explained);
      expect(taken.pod).toMatch(/^reviews-v2-/);
    }
  }, 120_000);

  it("sends everyone else's to reviews v1, as explained", async () => {
    const explained = await explainOnce([], [cluster('v1')]);
    for (let i = 0; i < 3; i++) {
      const taken = await send([]);
      expectExplained(taken, explained);
      expect(taken.pod).toMatch(/^reviews-v1-/);
    }
  }, 120_000);

  it('splits between v1 and v3 by the weights explain names, each request to an endpoint it lists', async () => {
    // Replaced in one rename, as `kubectl apply` replaces a rule.
    const hidden = join(own!.configDir, '.virtual-service-reviews.yaml');
    await writeFile(hidden, await networking('virtual-service-reviews-50-v3.yaml'));
    await rename(hidden, join(own!.configDir, 'virtual-service-reviews.yaml'));
    const explained = await explainOnce(['end-user: jason'], [cluster('v1'), cluster('v3')]);
    expect(explained.steps.find((step) => step.step === 'weighted clusters')?.detail).toBe(`the proxy picks one by weight: ${cluster('v1')} 50%, ${cluster('v3')} 50%`);
    const seen = new Set<string>();
    // 24 requests all to one side of a fair split: probability 2^-23.
    for (let i = 0; i < 24; i++) {
      const taken = await send(['end-user: jason']);
      expectExplained(taken, explained);
      seen.add(taken.cluster);
    }
    expect([...seen].sort()).toEqual([cluster('v1'), cluster('v3')]);
  }, 180_000);
});
