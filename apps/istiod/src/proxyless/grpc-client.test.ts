// A real proxyless gRPC client (@grpc/grpc-js-xds) resolves "xds:///echo...:7070" through
// istiod's ADS and calls two real gRPC servers on loopback, following the VirtualService.
import * as grpc from '@grpc/grpc-js';
import { loadDocuments, MemoryConfigStore, type KubeObject } from '@mizzen/config';
import { AdsServer } from '@mizzen/xds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiscoveryServer } from '../xds/discovery-server.ts';

const echoService = {
  Call: {
    path: '/mizzen.test.Echo/Call',
    requestStream: false,
    responseStream: false,
    requestSerialize: (value: Buffer) => value,
    requestDeserialize: (bytes: Buffer) => bytes,
    responseSerialize: (value: Buffer) => value,
    responseDeserialize: (bytes: Buffer) => bytes,
  },
} satisfies grpc.ServiceDefinition;

/** A gRPC server on loopback that answers every call with its own name. */
async function startBackend(name: string): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server();
  server.addService(echoService, {
    Call: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => callback(null, Buffer.from(name)),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return { server, port };
}

function config(ports: { v1: number; v2: number }, weights: { v1: number; v2: number }): KubeObject[] {
  const pod = (version: string, port: number) => `
apiVersion: v1
kind: Pod
metadata: { name: echo-${version}, namespace: default, labels: { app: echo, version: ${version} } }
spec: { containers: [{ name: echo, image: echo, ports: [{ name: grpc, containerPort: ${port} }] }] }
status: { podIP: 127.0.0.1 }`;
  const yaml = `
apiVersion: v1
kind: Service
metadata: { name: echo, namespace: default }
spec: { selector: { app: echo }, ports: [{ name: grpc, port: 7070, targetPort: grpc }] }
---${pod('v1', ports.v1)}
---${pod('v2', ports.v2)}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: echo, namespace: default }
spec:
  host: echo
  subsets: [{ name: v1, labels: { version: v1 } }, { name: v2, labels: { version: v2 } }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: echo, namespace: default }
spec:
  hosts: [echo]
  http:
  - match: [{ headers: { x-fault: { exact: abort } } }]
    fault: { abort: { grpcStatus: UNAVAILABLE, percentage: { value: 100 } } }
    route: [{ destination: { host: echo, subset: v1 } }]
  - match: [{ headers: { x-variant: { exact: v2 } } }]
    route: [{ destination: { host: echo, subset: v2 } }]
  - route:
    - { destination: { host: echo, subset: v1 }, weight: ${weights.v1} }
    - { destination: { host: echo, subset: v2 }, weight: ${weights.v2} }
`;
  const { objects, errors } = loadDocuments(yaml, 'echo.yaml');
  expect(errors).toEqual([]);
  return objects;
}

describe('a proxyless gRPC client', () => {
  const store = new MemoryConfigStore();
  let discovery: DiscoveryServer;
  let ads: AdsServer;
  let backends: { server: grpc.Server; port: number }[];
  let client: grpc.Client;
  let ports: { v1: number; v2: number };

  beforeAll(async () => {
    backends = [await startBackend('v1'), await startBackend('v2')];
    ports = { v1: backends[0].port, v2: backends[1].port };
    store.replaceAll(config(ports, { v1: 80, v2: 20 }));
    discovery = new DiscoveryServer(store, { log: () => {}, debounceMs: 1 });
    ads = new AdsServer(discovery);
    discovery.setPusher((streamId, typeUrl, resources, version) => ads.push(streamId, typeUrl, resources, version));
    const xdsPort = await ads.listen('127.0.0.1:0');
    // What Istio's gRPC bootstrap holds: istiod as the xDS server and a node marked as a
    // proxyless gRPC client. grpc-js-xds reads it once, when its first xDS channel starts.
    process.env.GRPC_XDS_BOOTSTRAP_CONFIG = JSON.stringify({
      xds_servers: [{ server_uri: `127.0.0.1:${xdsPort}`, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
      node: {
        id: 'sidecar~127.0.0.1~client-1.default~default.svc.cluster.local',
        locality: {},
        metadata: { GENERATOR: 'grpc', NAMESPACE: 'default', LABELS: { app: 'client' } },
      },
    });
    const xds = await import('@grpc/grpc-js-xds');
    xds.register();
    client = new grpc.Client('xds:///echo.default.svc.cluster.local:7070', grpc.credentials.createInsecure());
  });

  afterAll(async () => {
    client?.close();
    discovery?.close();
    await ads?.close();
    for (const { server } of backends ?? []) server.forceShutdown();
    delete process.env.GRPC_XDS_BOOTSTRAP_CONFIG;
  });

  function call(metadata = new grpc.Metadata()): Promise<string> {
    return new Promise((resolve, reject) => {
      client.makeUnaryRequest(echoService.Call.path, (v: Buffer) => v, (b: Buffer) => b, Buffer.alloc(0), metadata, { deadline: Date.now() + 10_000 }, (error, reply) =>
        error ? reject(error) : resolve(reply!.toString()),
      );
    });
  }

  async function tally(n: number, metadata?: grpc.Metadata): Promise<Record<string, number>> {
    // Concurrent calls: each RPC still picks its cluster on its own.
    const names = await Promise.all(Array.from({ length: n }, () => call(metadata)));
    const counts: Record<string, number> = {};
    for (const name of names) counts[name] = (counts[name] ?? 0) + 1;
    return counts;
  }

  it('gets a listener, routes, clusters and endpoints for only what it names', async () => {
    await call();
    const connection = [...discovery.connections.values()][0];
    const resources = discovery.resourcesFor(connection);
    expect(resources.get('type.googleapis.com/envoy.config.listener.v3.Listener')!.map((l) => l.name)).toEqual(['echo.default.svc.cluster.local:7070']);
    expect(resources.get('type.googleapis.com/envoy.config.cluster.v3.Cluster')!.map((c) => c.name).sort()).toEqual([
      'outbound|7070|v1|echo.default.svc.cluster.local',
      'outbound|7070|v2|echo.default.svc.cluster.local',
    ]);
    for (const [typeUrl, state] of connection.types) expect({ typeUrl, nack: state.nack, acked: state.ackedVersion }).toEqual({ typeUrl, nack: undefined, acked: state.sentVersion });
  });

  it('splits unary calls 80/20 between the subsets, as the VirtualService weighs them', async () => {
    const counts = await tally(400);
    // 80% of 400 is 320, with a standard deviation of 8: five of them either side.
    expect(counts.v1).toBeGreaterThanOrEqual(280);
    expect(counts.v1).toBeLessThanOrEqual(360);
    expect(counts.v1 + counts.v2).toBe(400);
  });

  it('sends calls with the matching header to v2 only', async () => {
    const metadata = new grpc.Metadata();
    metadata.set('x-variant', 'v2');
    expect(await tally(50, metadata)).toEqual({ v2: 50 });
  });

  it('fails calls as the route’s fault injection says', async () => {
    const metadata = new grpc.Metadata();
    metadata.set('x-fault', 'abort');
    await expect(call(metadata)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
  });

  it('follows a changed VirtualService', async () => {
    const pushed = new Promise<void>((resolve) => {
      const unsubscribe = store.subscribe(() => {
        unsubscribe();
        resolve();
      });
    });
    store.replaceAll(config(ports, { v1: 0, v2: 100 }));
    await pushed;
    // The client applies the new routes when they arrive; calls made after that all go to v2.
    let streak = 0;
    for (let i = 0; i < 2000 && streak < 50; i++) streak = (await call()) === 'v2' ? streak + 1 : 0;
    expect(streak).toBe(50);
  });
});
