import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { runCommandLine } from '../command-line.ts';

const bookinfo = fileURLToPath(new URL('../../../../samples/bookinfo/', import.meta.url));
const manifests = join(bookinfo, 'manifests');
const networking = (file: string) => join(bookinfo, 'networking', file);

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCommandLine(['node', 'mizzenctl', 'x', 'describe', 'pod', ...args], { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('mizzenctl x describe pod', () => {
  it('shows which route of a VirtualService reaches the pod, and the subsets it is in', async () => {
    const result = await run(['reviews-v2', '-f', manifests, '-f', networking('destination-rule-all.yaml'), '-f', networking('virtual-service-reviews-test-v2.yaml')]);
    expect(result).toEqual({
      code: 0,
      err: '',
      out: [
        'Pod: reviews-v2 (a pod of Deployment reviews-v2)',
        '   Pod Ports: 9081 (reviews)',
        '--------------------',
        'Service: reviews',
        '   Port: http 9080/HTTP targets pod port 9081',
        'DestinationRule: reviews for "reviews"',
        '   Matching subsets: v2',
        '      (Non-matching subsets v1,v3)',
        '   No Traffic Policy',
        'VirtualService: reviews',
        '   Route to subset v2 for (when headers are end-user=jason)',
        '   1 additional destination(s) that will not reach this pod',
        '--------------------',
        'Effective PeerAuthentication:',
        '   Workload mTLS mode: PERMISSIVE',
        '',
      ].join('\n'),
    });
  });

  it('warns when no route reaches the pod, and gives the weight of one that does', async () => {
    const rules = ['-f', manifests, '-f', networking('destination-rule-all.yaml'), '-f', networking('virtual-service-reviews-50-v3.yaml')];
    expect((await run(['reviews-v1', ...rules])).out).toContain('VirtualService: reviews\n   Weight 50%\n');
    expect((await run(['reviews-v2', ...rules])).out).toContain(
      'VirtualService: reviews\n   WARNING: No destinations match pod subsets (checked 1 HTTP routes)\n      Route to non-matching subset v1 for (everything)\n      Route to non-matching subset v3 for (everything)\n',
    );
  });

  it('shows the paths an ingress gateway sends to the pod, faults, and the policies in force', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'describe-'));
    dirs.push(dir);
    await writeFile(
      join(dir, 'policies.yaml'),
      [
        'apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: default, namespace: istio-system}\nspec: {mtls: {mode: PERMISSIVE}}',
        'apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: strict-productpage}\nspec: {selector: {matchLabels: {app: productpage}}, mtls: {mode: STRICT}}',
        'apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: allow-gateway}\nspec: {selector: {matchLabels: {app: productpage}}, action: ALLOW, rules: [{}]}',
        'apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: ratings-only}\nspec: {selector: {matchLabels: {app: ratings}}}',
        'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: productpage}\nspec: {host: productpage, trafficPolicy: {tls: {mode: ISTIO_MUTUAL}, loadBalancer: {simple: LEAST_REQUEST}}, subsets: [{name: v1, labels: {version: v1}}]}',
      ].join('\n---\n'),
    );
    const result = await run(['productpage', '-f', manifests, '-f', networking('bookinfo-gateway.yaml'), '-f', networking('virtual-service-all-v1.yaml'), '-f', dir]);
    expect(result.out).toContain('DestinationRule: productpage for "productpage"\n   Matching subsets: v1\n   Traffic Policy TLS Mode: ISTIO_MUTUAL\n   Policies: load balancer LEAST_REQUEST\n');
    expect(result.out).toContain('VirtualService: productpage\n   1 HTTP route(s)\n');
    expect(result.out).toContain(
      'Effective PeerAuthentication:\n   Workload mTLS mode: STRICT\nApplied PeerAuthentication:\n   strict-productpage, default.istio-system\nApplied AuthorizationPolicy:\n   allow-gateway\n',
    );
    expect(result.out).toContain('Exposed on Ingress Gateway bookinfo-gateway\nVirtualService: bookinfo\n   /productpage, /static*, /login, /logout, /api/v1/products*\n');
    const ratings = await run(['ratings', '-f', manifests, '-f', networking('virtual-service-ratings-test-delay.yaml'), '-f', networking('destination-rule-all.yaml')]);
    expect(ratings.out).toContain('VirtualService: ratings\n   Route to subset v1 for (when headers are end-user=jason)\n   Fault injection: delay 7s (100%)\n');
  });

  it("reads a running local mesh's config and pods", async () => {
    const root = await mkdtemp(join(tmpdir(), 'describe-state-'));
    dirs.push(root);
    await mkdir(join(root, 'm1', 'config'), { recursive: true });
    await mkdir(join(root, 'm1', 'pods'), { recursive: true });
    await writeFile(join(root, 'm1', 'config', 'svc.yaml'), 'apiVersion: v1\nkind: Service\nmetadata: {name: backend}\nspec: {selector: {app: backend}, ports: [{name: http, port: 8080, targetPort: http}]}\n');
    await writeFile(
      join(root, 'm1', 'pods', 'backend.yaml'),
      'apiVersion: v1\nkind: Pod\nmetadata: {name: backend-7c9f8d6b5d-abcde, labels: {app: backend}}\nspec: {containers: [{name: backend, ports: [{name: http, containerPort: 8081}]}]}\nstatus: {podIP: 10.244.3.5}\n',
    );
    const result = await run(['backend', '--state-dir', root]);
    expect(result.out).toBe(
      [
        'Pod: backend-7c9f8d6b5d-abcde',
        '   Pod Ports: 8081 (backend)',
        '   WARNING: backend-7c9f8d6b5d-abcde is not part of mesh; no Istio sidecar',
        '--------------------',
        'Service: backend',
        '   Port: http 8080/HTTP targets pod port 8081',
        '--------------------',
        'Effective PeerAuthentication:',
        '   Workload mTLS mode: PERMISSIVE',
        '',
      ].join('\n'),
    );
    expect(await run(['frontend', '--state-dir', root])).toMatchObject({ code: 1, err: 'error: mesh m1: pod frontend in namespace default: no such Pod, nor a Deployment making it\n' });
    expect(await run(['backend', '--state-dir', join(root, 'none')])).toMatchObject({ code: 1, err: expect.stringContaining('no local mesh is recorded') });
  });
});
