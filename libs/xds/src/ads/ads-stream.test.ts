// ADS over real loopback gRPC: both sides of the library talking to each other.
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { outboundCluster, sidecarNode } from '../fixtures/istio-resources.ts';
import type { JsonObject } from '../json/codec.ts';
import type { DiscoveryRequest } from '../resources/discovery.ts';
import { TypeUrl } from '../resources/type-url.ts';
import { AdsClient } from './ads-client.ts';
import { AdsServer, type AdsServerHandler } from './ads-server.ts';
import { adsMethodPath, adsServiceDefinition, deserializeResponse, serializeRequest, type WireResponse } from './ads-wire.ts';
import { EventLog } from './testing/event-log.ts';
import { listenOnLoopback, loopbackCertificate, useCleanups } from './testing/loopback.ts';
import { recordStreamEvents, type StreamEvent } from './testing/stream-events.ts';

type Event =
  | StreamEvent
  | { kind: 'subscribe'; id: string; typeUrl: string; names: string[]; knownVersion: string }
  | { kind: 'resources'; typeUrl: string; resources: JsonObject[]; version: string };

const node = sidecarNode;
const cluster = { '@type': TypeUrl.Cluster, ...outboundCluster };
const badCluster = { '@type': TypeUrl.Cluster, name: 'bad|cluster', connect_timeout: '1s' };

function recordingServer(log: EventLog<Event>, onSubscribe?: (server: AdsServer, id: string, typeUrl: string) => void): AdsServer {
  const handler: AdsServerHandler = {
    ...recordStreamEvents(log),
    onSubscribe: (id, typeUrl, names, knownVersion) => {
      log.add({ kind: 'subscribe', id, typeUrl, names, knownVersion });
      onSubscribe?.(server, id, typeUrl);
    },
  };
  const server = new AdsServer(handler);
  return server;
}

const cleanups = useCleanups();

// Real sockets, reconnects and (for TLS) openssl: on a busy machine a case can take seconds.
describe('ADS over gRPC', { timeout: 20_000 }, () => {
  it('subscribes, pushes, ACKs, NACKs with a reason, and resumes after the server restarts', async () => {
    const log = new EventLog<Event>();
    const server = recordingServer(log, (s, id, typeUrl) => s.push(id, typeUrl, [cluster], '1'));
    cleanups.push(() => server.close());
    const port = await server.listen('127.0.0.1:0');

    const client = new AdsClient({
      target: `127.0.0.1:${port}`,
      node,
      backoff: { initialMs: 20, maxMs: 100, jitter: 0 },
      onResources: (typeUrl, resources, version) => {
        log.add({ kind: 'resources', typeUrl, resources, version });
        const bad = resources.find((r) => String(r.name).startsWith('bad'));
        if (bad) throw new Error(`cluster ${String(bad.name)} is not allowed`);
      },
    });
    cleanups.push(() => client.close());
    client.subscribe(TypeUrl.Cluster, []);

    const opened = await log.next('open');
    expect(opened.node).toEqual(node);
    expect(await log.next('subscribe')).toMatchObject({ id: opened.id, typeUrl: TypeUrl.Cluster, names: [], knownVersion: '' });
    expect(await log.next('resources')).toEqual({ kind: 'resources', typeUrl: TypeUrl.Cluster, resources: [cluster], version: '1' });
    expect(await log.next('ack')).toEqual({ kind: 'ack', id: opened.id, typeUrl: TypeUrl.Cluster, version: '1' });
    expect(server.streamIds()).toEqual([opened.id]);
    expect(server.streamState(opened.id)?.types[TypeUrl.Cluster]).toMatchObject({ sentVersion: '1', ackedVersion: '1', subscribed: true });

    expect(server.push(opened.id, TypeUrl.Cluster, [badCluster], '2')).toBe(true);
    await log.next('resources', (e) => e.version === '2');
    expect(await log.next('nack')).toEqual({
      kind: 'nack',
      id: opened.id,
      typeUrl: TypeUrl.Cluster,
      version: '1',
      error: 'cluster bad|cluster is not allowed',
    });

    // A new server on the same port: the client comes back with what it last accepted.
    await server.close();
    await log.next('close', (e) => e.id === opened.id);
    const restarted = recordingServer(log);
    cleanups.push(() => restarted.close());
    await restarted.listen(`127.0.0.1:${port}`);
    const reopened = await log.next('open');
    expect(reopened.node).toEqual(node);
    expect(await log.next('subscribe')).toMatchObject({ id: reopened.id, typeUrl: TypeUrl.Cluster, knownVersion: '1' });
  });

  it('sends the subscription for resource names that change', async () => {
    const log = new EventLog<Event>();
    const server = recordingServer(log, (s, id, typeUrl) => s.push(id, typeUrl, [], 'v1'));
    cleanups.push(() => server.close());
    const port = await server.listen('127.0.0.1:0');
    const client = new AdsClient({ target: `127.0.0.1:${port}`, node, onResources: () => undefined });
    cleanups.push(() => client.close());

    client.subscribe(TypeUrl.ClusterLoadAssignment, ['a']);
    await log.next('subscribe', (e) => e.names.join() === 'a');
    await log.next('ack');
    client.subscribe(TypeUrl.ClusterLoadAssignment, ['a', 'b']);
    expect(await log.next('subscribe')).toMatchObject({ names: ['a', 'b'], knownVersion: 'v1' });
  });

  it('NACKs a response whose handler returns an error string', async () => {
    const log = new EventLog<Event>();
    const server = recordingServer(log, (s, id, typeUrl) => s.push(id, typeUrl, [{ name: 'r1' }], 'v1'));
    cleanups.push(() => server.close());
    const port = await server.listen('127.0.0.1:0');
    const client = new AdsClient({ target: `127.0.0.1:${port}`, node, onResources: async () => 'route r1 has no virtual hosts' });
    cleanups.push(() => client.close());
    client.subscribe(TypeUrl.RouteConfiguration, ['r1']);
    expect(await log.next('nack')).toMatchObject({ version: '', error: 'route r1 has no virtual hosts' });
  });

  it('ends a stream whose first request has no node, with the reason', async () => {
    const server = recordingServer(new EventLog<Event>());
    cleanups.push(() => server.close());
    const port = await server.listen('127.0.0.1:0');
    const raw = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    cleanups.push(() => raw.close());
    const call = raw.makeBidiStreamRequest(adsMethodPath, serializeRequest, deserializeResponse);
    const failed = new Promise<grpc.ServiceError>((resolve) => call.on('error', resolve));
    call.write({ type_url: TypeUrl.Cluster } satisfies DiscoveryRequest);
    const error = await failed;
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error.details).toBe('the first DiscoveryRequest of a stream must carry node');
  });

  it('refuses to push a resource that does not fit its type, naming the field', async () => {
    const log = new EventLog<Event>();
    const server = recordingServer(log);
    cleanups.push(() => server.close());
    const port = await server.listen('127.0.0.1:0');
    const client = new AdsClient({ target: `127.0.0.1:${port}`, node, onResources: () => undefined });
    cleanups.push(() => client.close());
    client.subscribe(TypeUrl.Cluster, []);
    const { id } = await log.next('subscribe');
    expect(() => server.push(id, TypeUrl.Cluster, [{ name: 'c', connect_timeout: 'soon' }], '1')).toThrow(
      `push ${TypeUrl.Cluster}: resource "c": Cluster.connect_timeout: expected a duration like "1.5s", got "soon"`,
    );
    expect(() => server.push(id, TypeUrl.Cluster, [{ '@type': TypeUrl.Listener, name: 'l' }], '1')).toThrow(/resources\[0\]/);
    expect(server.push('no-such-stream', TypeUrl.Cluster, [], '1')).toBe(false);
  });

  it('NACKs a response with a resource that does not decode, without calling the handler', async () => {
    // A server of our own making, to put bytes on the wire that no proper server would send.
    const requests: DiscoveryRequest[] = [];
    let answered!: () => void;
    const nacked = new Promise<void>((resolve) => (answered = resolve));
    const raw = new grpc.Server();
    raw.addService(adsServiceDefinition, {
      StreamAggregatedResources: (call: grpc.ServerDuplexStream<DiscoveryRequest, WireResponse>) => {
        call.on('data', (request: DiscoveryRequest) => {
          requests.push(request);
          if (requests.length === 1) {
            const garbage = { type_url: TypeUrl.Cluster, value: new Uint8Array([0x0a, 0x40, 0x01]) };
            call.write({ version_info: 'v1', type_url: TypeUrl.Cluster, nonce: 'n1', resources: [garbage] });
          } else answered();
        });
        call.on('end', () => call.end());
      },
    });
    cleanups.push(() => raw.forceShutdown());
    const port = await listenOnLoopback(raw);
    let applied = 0;
    const client = new AdsClient({ target: `127.0.0.1:${port}`, node, onResources: () => void applied++ });
    cleanups.push(() => client.close());
    client.subscribe(TypeUrl.Cluster, []);
    await nacked;
    expect(requests[0]?.node).toEqual(node);
    expect(requests[1]).toMatchObject({ type_url: TypeUrl.Cluster, response_nonce: 'n1', error_detail: { code: 3 } });
    expect(requests[1]?.version_info).toBeUndefined();
    expect(requests[1]?.node).toBeUndefined();
    expect(requests[1]?.error_detail?.message).toMatch(/^resources\[0\]: Any: cannot decode Cluster/);
    expect(applied).toBe(0);
  });

  it('runs over TLS when given credentials', async () => {
    const { cert, key } = loopbackCertificate();

    const log = new EventLog<Event>();
    const server = recordingServer(log, (s, id, typeUrl) => s.push(id, typeUrl, [cluster], 'tls-1'));
    cleanups.push(() => server.close());
    const port = await server.listen('127.0.0.1:0', grpc.ServerCredentials.createSsl(null, [{ cert_chain: cert, private_key: key }]));
    const client = new AdsClient({
      target: `127.0.0.1:${port}`,
      node,
      credentials: grpc.credentials.createSsl(cert),
      onResources: (typeUrl, resources, version) => log.add({ kind: 'resources', typeUrl, resources, version }),
    });
    cleanups.push(() => client.close());
    client.subscribe(TypeUrl.Cluster, []);
    expect(await log.next('resources')).toMatchObject({ version: 'tls-1', resources: [cluster] });
    expect(await log.next('ack')).toMatchObject({ version: 'tls-1' });
  });
});
