import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, podLog, startOwnMesh, stopOwnMesh, waitFor, type OwnMesh } from './mesh-control.ts';

// Istio's traffic management tasks on the hello mesh, with access logs on as Istio's mesh
// config turns them on: mirroring, a VirtualService changed on disk, circuit breaking. The host
// calls the frontend; the frontend calls hello-backend through its sidecar, where the rules
// apply. The test's own copy of the manifests adds a v2 backend.

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

const backendV2 = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: hello-backend-v2
  labels:
    app: hello-backend
    version: v2
spec:
  replicas: 1
  selector:
    matchLabels:
      app: hello-backend
      version: v2
  template:
    metadata:
      labels:
        app: hello-backend
        version: v2
    spec:
      serviceAccountName: hello-backend
      containers:
        - name: hello-backend
          image: mizzen/sample-hello:latest
          command: [node, samples/hello/src/backend.ts]
          args: [--port, "9090"]
          env:
            - name: POD_NAME
              valueFrom:
                fieldRef:
                  fieldPath: metadata.name
          ports:
            - name: http
              containerPort: 9090
`;

function destinationRule(trafficPolicy = ''): string {
  return `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: hello-backend
spec:
  host: hello-backend
${trafficPolicy}  subsets:
    - name: v1
      labels: { version: v1 }
    - name: v2
      labels: { version: v2 }
`;
}

const tinyPool = `  trafficPolicy:
    connectionPool:
      tcp:
        maxConnections: 1
      http:
        http1MaxPendingRequests: 1
        maxRequestsPerConnection: 1
`;

function virtualService(http: string): string {
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: hello-backend
spec:
  hosts: [hello-backend]
  http:
${http}`;
}

const mirrorV1ToV2 = virtualService(`    - route:
        - destination: { host: hello-backend, subset: v1 }
          weight: 100
      mirror: { host: hello-backend, subset: v2 }
      mirrorPercentage: { value: 100 }
`);
const allToV2 = virtualService(`    - route:
        - destination: { host: hello-backend, subset: v2 }
`);

let own: OwnMesh | undefined;
let frontendUrl: string;
let frontend: string;
let backendV2Pod: string;

interface FrontendAnswer {
  status: number;
  backendPod?: string;
}

async function callFrontend(): Promise<FrontendAnswer> {
  const { status, body } = await get(frontendUrl, 10_000);
  try {
    const json = JSON.parse(body) as { backend?: { pod?: string } };
    return { status, backendPod: json.backend?.pod };
  } catch {
    return { status };
  }
}

async function logLines(pod: string, pattern: RegExp): Promise<string[]> {
  const text = await readFile(podLog(own!, pod, 'istio-proxy'), 'utf8').catch(() => '');
  return text.split('\n').filter((line) => pattern.test(line));
}

describe('mirroring, config changes and circuit breaking on the hello mesh', () => {
  beforeAll(async () => {
    own = await startOwnMesh('samples/hello/manifests', { 'mesh-config.yaml': meshConfig, 'hello-backend-v2.yaml': backendV2 });
    frontendUrl = own.mesh.urls.get('hello-frontend.default')!;
    frontend = [...own.mesh.pods.keys()].find((n) => n.startsWith('hello-frontend-'))!;
    backendV2Pod = [...own.mesh.pods.keys()].find((n) => n.startsWith('hello-backend-v2-'))!;
    expect(backendV2Pod).toBeDefined();
    await waitFor('the mesh answers', async () => ((await callFrontend()).status === 200 ? true : undefined), 30_000);
  }, 150_000);

  afterAll(async () => {
    if (own) await stopOwnMesh(own);
  }, 60_000);

  it('writes Istio-format access logs to the sidecars\' stdout, as the mesh config asks', async () => {
    expect((await callFrontend()).status).toBe(200);
    const { value } = await waitFor('an outbound entry in the frontend sidecar log', async () => {
      const lines = await logLines(frontend, /outbound\|9000\|\|hello-backend\.default\.svc\.cluster\.local/);
      return lines.length > 0 ? lines : undefined;
    }, 10_000);
    expect(value[0]).toMatch(/^\[\S+\] "GET \/ HTTP\/1\.1" 200 - /);
  }, 30_000);

  it('mirrors requests for v1 to v2, seen in v2\'s sidecar access log', async () => {
    await writeFile(join(own!.configDir, 'hello-backend-dr.yaml'), destinationRule());
    await writeFile(join(own!.configDir, 'hello-backend-vs.yaml'), mirrorV1ToV2);
    // Envoy marks a mirrored request by "-shadow" after the host name, before the port.
    const shadow = /"hello-backend-shadow(:9000)?"/;
    await waitFor('a mirrored request in v2\'s log', async () => ((await callFrontend(), (await logLines(backendV2Pod, shadow)).length > 0) ? true : undefined), 30_000, 200);
    const before = (await logLines(backendV2Pod, shadow)).length;
    const requests = 10;
    for (let i = 0; i < requests; i++) {
      const answer = await callFrontend();
      expect(answer.status).toBe(200);
      // The answer is v1's; the copy sent to v2 is fire and forget.
      expect(answer.backendPod).toMatch(/^hello-backend-(?!v2-)/);
    }
    const mirrored = await waitFor('every request mirrored', async () => ((await logLines(backendV2Pod, shadow)).length >= before + requests ? true : undefined), 10_000);
    expect(mirrored.value).toBe(true);
    // v2 answered the copies: its inbound entries are 200s for the shadow authority.
    expect((await logLines(backendV2Pod, shadow)).slice(-requests).every((line) => / 200 - /.test(line))).toBe(true);
  }, 60_000);

  it('applies a VirtualService changed on disk, and reports how long it took', async () => {
    const written = performance.now();
    await writeFile(join(own!.configDir, 'hello-backend-vs.yaml'), allToV2);
    await waitFor('answers from v2', async () => ((await callFrontend()).backendPod === backendV2Pod ? true : undefined), 30_000, 50);
    console.log(`VirtualService changed on disk: in effect after ${Math.round(performance.now() - written)} ms`);
    for (let i = 0; i < 5; i++) expect((await callFrontend()).backendPod).toBe(backendV2Pod);
  }, 60_000);

  it('trips the circuit breaker under concurrent load: some 503s, flagged UO in the client sidecar\'s log', async () => {
    await writeFile(join(own!.configDir, 'hello-backend-dr.yaml'), destinationRule(tinyPool));
    const overflow = /" 503 UO /;
    const burst = async (): Promise<FrontendAnswer[]> => Promise.all(Array.from({ length: 30 }, callFrontend));
    const { value: answers } = await waitFor('overflow under load', async () => {
      const answers = await burst();
      return answers.some((a) => a.status === 502) ? answers : undefined;
    }, 30_000, 200);
    console.log(`circuit breaking: of ${answers.length} concurrent requests, ${answers.filter((a) => a.status === 502).length} overflowed`);
    // Some got through, the others were refused by the frontend's sidecar (the frontend says 502).
    expect(answers.filter((a) => a.status === 200).length).toBeGreaterThan(0);
    expect(answers.every((a) => a.status === 200 || a.status === 502)).toBe(true);
    const { value: lines } = await waitFor('UO in the frontend sidecar log', async () => {
      const found = await logLines(frontend, overflow);
      return found.length > 0 ? found : undefined;
    }, 10_000);
    expect(lines.every((line) => line.includes('outbound|9000|v2|hello-backend.default.svc.cluster.local') || line.includes('outbound|9000||hello-backend.default.svc.cluster.local'))).toBe(true);
  }, 90_000);
});
