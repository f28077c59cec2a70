// A real xDS-enabled gRPC server (@grpc/grpc-js-xds XdsServer) gets its inbound listener from
// istiod and only then serves.
import * as grpc from '@grpc/grpc-js';
import { loadDocuments, MemoryConfigStore } from '@mizzen/config';
import { freePort } from '@mizzen/testing';
import { AdsServer, TypeUrl } from '@mizzen/xds';
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

describe('an xDS-enabled gRPC server', { timeout: 20_000 }, () => {
  const store = new MemoryConfigStore();
  let discovery: DiscoveryServer;
  let ads: AdsServer;
  let server: grpc.Server | undefined;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    const { objects, errors } = loadDocuments(
      `
apiVersion: v1
kind: Service
metadata: { name: echo, namespace: default }
spec: { selector: { app: echo }, ports: [{ name: grpc, port: 7070, targetPort: ${port} }] }
---
apiVersion: v1
kind: Pod
metadata: { name: echo-1, namespace: default, labels: { app: echo } }
spec: { containers: [{ name: echo, image: echo }] }
status: { podIP: 127.0.0.1 }
`,
      'echo.yaml',
    );
    expect(errors).toEqual([]);
    store.replaceAll(objects);
    discovery = new DiscoveryServer(store, { log: () => {}, debounceMs: 1 });
    ads = new AdsServer(discovery);
    discovery.setPusher((streamId, typeUrl, resources, version) => ads.push(streamId, typeUrl, resources, version));
    const xdsPort = await ads.listen('127.0.0.1:0');
    process.env.GRPC_XDS_BOOTSTRAP_CONFIG = JSON.stringify({
      xds_servers: [{ server_uri: `127.0.0.1:${xdsPort}`, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
      node: { id: 'sidecar~127.0.0.1~echo-1.default~default.svc.cluster.local', locality: {}, metadata: { GENERATOR: 'grpc', NAMESPACE: 'default' } },
      server_listener_resource_name_template: 'xds.istio.io/grpc/lds/inbound/%s',
    });
  });

  afterAll(async () => {
    server?.forceShutdown();
    discovery?.close();
    await ads?.close();
    delete process.env.GRPC_XDS_BOOTSTRAP_CONFIG;
  });

  it('serves once istiod has sent its listener, and answers calls', async () => {
    const xds = await import('@grpc/grpc-js-xds');
    // Registers the xDS HTTP filters (the router among them) that servers need too.
    xds.register();
    server = new xds.XdsServer();
    server.addService(echoService, {
      Call: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => callback(null, Buffer.from('served')),
    });
    const credentials = new xds.XdsServerCredentials(grpc.ServerCredentials.createInsecure());
    await new Promise<number>((resolve, reject) => server!.bindAsync(`127.0.0.1:${port}`, credentials, (error, bound) => (error ? reject(error) : resolve(bound))));

    const connection = [...discovery.connections.values()][0];
    const listeners = connection.types.get(TypeUrl.Listener)!;
    expect(listeners.resourceNames).toEqual([`xds.istio.io/grpc/lds/inbound/127.0.0.1:${port}`]);
    expect(listeners.nack).toBeUndefined();

    const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      const reply = await new Promise<string>((resolve, reject) =>
        client.makeUnaryRequest(echoService.Call.path, (v: Buffer) => v, (b: Buffer) => b, Buffer.alloc(0), (error, value) => (error ? reject(error) : resolve(value!.toString()))),
      );
      expect(reply).toBe('served');
    } finally {
      client.close();
    }
  });
});
