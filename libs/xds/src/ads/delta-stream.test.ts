// Delta ADS over real loopback gRPC: both sides of the library talking to each other.
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { outboundCluster, sidecarNode } from '../fixtures/istio-resources.ts';
import type { JsonObject } from '../json/codec.ts';
import type { DeltaDiscoveryRequest } from '../resources/discovery.ts';
import { TypeUrl } from '../resources/type-url.ts';
import { AdsClient } from './ads-client.ts';
import { AdsServer, type AdsServerHandler } from './ads-server.ts';
import { encode } from '../json/codec.ts';
import { DeltaAdsClient, type DeltaResourceChanges } from './delta-ads-client.ts';
import { DeltaAdsServer, type DeltaAdsServerHandler } from './delta-ads-server.ts';
import type { DeltaSubscription } from './delta-server-state.ts';
import { deltaAdsMethodPath, deltaAdsServiceDefinition, deserializeDeltaResponse, serializeDeltaRequest, type WireDeltaResponse } from './delta-wire.ts';
import { EventLog } from './testing/event-log.ts';
import { listenOnLoopback, loopbackCertificate, useCleanups } from './testing/loopback.ts';
import { recordStreamEvents, type StreamEvent } from './testing/stream-events.ts';

type Event =
  | StreamEvent
  | { kind: 'subscribe'; id: string; typeUrl: string; subscription: DeltaSubscription }
  | { kind: 'resources'; typeUrl: string; resources: JsonObject[]; version: string; changes: DeltaResourceChanges };

const node = sidecarNode;
const cds = TypeUrl.Cluster;
const eds = TypeUrl.ClusterLoadAssignment;
const clusterA = { '@type': cds, ...outboundCluster };
const clusterB = { '@type': cds, name: 'b', connect_timeout: '1s' };
const clusterB2 = { '@type': cds, name: 'b', connect_timeout: '2s' };
const badCluster = { '@type': cds, name: 'bad', connect_timeout: '1s' };
const names = (resources: JsonObject[]) => resources.map((r) => r.name ?? r.cluster_name).sort();

const noSotw: AdsServerHandler = { onStreamOpen() {}, onSubscribe() {}, onAck() {}, onNack() {}, onStreamClose() {} };

/** An AdsServer answering both methods; delta events go to the log, and onSubscribe may answer. */
function deltaServer(log: EventLog<Event>, onSubscribe?: (delta: DeltaAdsServer, id: string, typeUrl: string, s: DeltaSubscription) => void, sotw = noSotw) {
  const handler: DeltaAdsServerHandler = {
    ...recordStreamEvents(log),
    onSubscribe: (id, typeUrl, subscription) => {
      log.add({ kind: 'subscribe', id, typeUrl, subscription });
      onSubscribe?.(delta, id, typeUrl, subscription);
    },
  };
  const delta = new DeltaAdsServer(handler);
  return { server: new AdsServer(sotw, { delta }), delta };
}

function deltaClient(log: EventLog<Event>, port: number, refuse?: (resources: JsonObject[]) => string | undefined): DeltaAdsClient {
  return new DeltaAdsClient({
    target: `127.0.0.1:${port}`,
    node,
    backoff: { initialMs: 20, maxMs: 100, jitter: 0 },
    onResources: (typeUrl, resources, version, changes) => {
      log.add({ kind: 'resources', typeUrl, resources, version, changes });
      return refuse?.(resources);
    },
  });
}

const cleanups = useCleanups();

// Real sockets, reconnects and (for TLS) openssl: on a busy machine a case can take seconds.
describe('delta ADS over gRPC', { timeout: 20_000 }, () => {
  it('sends only what changed, removes what is gone, NACKs with a reason, and resumes from the versions held', async () => {
    const log = new EventLog<Event>();
    const { server, delta } = deltaServer(log, (d, id, typeUrl) => d.pushDesired(id, typeUrl, [clusterA, clusterB], 'v1'));
    cleanups.push(() => server.close());
    const port = await server.listen('127.0.0.1:0');
    const client = deltaClient(log, port, (resources) => (resources.some((r) => r.name === 'bad') ? 'cluster bad is not allowed' : undefined));
    cleanups.push(() => client.close());
    client.subscribe(cds, []);

    const opened = await log.next('open');
    expect(opened.node).toEqual(node);
    expect(await log.next('subscribe')).toMatchObject({ id: opened.id, typeUrl: cds, subscription: { wildcard: true, knownVersions: {} } });
    const first = await log.next('resources');
    expect(first).toMatchObject({ typeUrl: cds, version: 'v1', changes: { removed: [] } });
    expect(first.resources).toEqual([clusterA, clusterB]);
    expect(await log.next('ack')).toMatchObject({ id: opened.id, version: 'v1' });

    // One resource changes: only it crosses the wire.
    delta.pushDesired(opened.id, cds, [clusterA, clusterB2], 'v2');
    const second = await log.next('resources');
    expect(second.changes).toEqual({ updated: [clusterB2], removed: [] });
    expect(second.resources).toEqual([clusterA, clusterB2]);
    await log.next('ack', (e) => e.version === 'v2');

    // The same set again sends nothing; a removal sends only the name.
    delta.pushDesired(opened.id, cds, [clusterA, clusterB2], 'v2');
    delta.pushDesired(opened.id, cds, [clusterB2], 'v3');
    const third = await log.next('resources');
    expect(third).toMatchObject({ version: 'v3', changes: { updated: [], removed: [outboundCluster.name] } });
    expect(third.resources).toEqual([clusterB2]);
    await log.next('ack', (e) => e.version === 'v3');

    // A refused update is NACKed with the reason; the client keeps its last good set.
    delta.pushChanges(opened.id, cds, { resources: [badCluster] }, 'v4');
    await log.next('resources', (e) => e.version === 'v4');
    expect(await log.next('nack')).toEqual({ kind: 'nack', id: opened.id, typeUrl: cds, version: 'v4', error: 'cluster bad is not allowed' });
    expect(client.resources(cds)).toEqual([clusterB2]);
    expect(delta.streamState(opened.id)?.types.get(cds)?.ackedVersion).toBe('v3');

    // A new server on the same port: the client says what it holds, and an unchanged set sends nothing.
    await server.close();
    await log.next('close', (e) => e.id === opened.id);
    const restarted = deltaServer(log, (d, id, typeUrl) => {
      d.pushDesired(id, typeUrl, [clusterB2], 'v5');
      d.pushDesired(id, typeUrl, [clusterB2, clusterA], 'v6');
    });
    cleanups.push(() => restarted.server.close());
    await restarted.server.listen(`127.0.0.1:${port}`);
    const resumed = await log.next('subscribe', (e) => e.id !== opened.id);
    expect(resumed.subscription).toMatchObject({ wildcard: true, knownVersions: { b: expect.any(String) } });
    expect(Object.keys(resumed.subscription.knownVersions)).toEqual(['b']);
    const fourth = await log.next('resources');
    expect(fourth).toMatchObject({ version: 'v6', changes: { updated: [clusterA], removed: [] } });
    expect(names(fourth.resources)).toEqual([outboundCluster.name, 'b'].sort());
  });

  it('subscribes and unsubscribes by name, and hears of names that do not exist', async () => {
    const log = new EventLog<Event>();
    const endpoints = (name: string) => ({ '@type': eds, cluster_name: name });
    const { server } = deltaServer(log, (d, id, typeUrl, s) => d.pushDesired(id, typeUrl, [endpoints('a'), endpoints('b'), endpoints('c')], `n${s.resourceNames.length}`));
    cleanups.push(() => server.close());
    const port = await server.listen('127.0.0.1:0');
    const client = deltaClient(log, port);
    cleanups.push(() => client.close());

    client.subscribe(eds, ['a', 'missing']);
    expect((await log.next('subscribe')).subscription).toMatchObject({ wildcard: false, resourceNames: ['a', 'missing'], added: ['a', 'missing'] });
    const first = await log.next('resources');
    expect(first.changes).toEqual({ updated: [endpoints('a')], removed: ['missing'] });

    client.subscribe(eds, ['b']);
    expect((await log.next('subscribe')).subscription).toMatchObject({ resourceNames: ['b'], added: ['b'], removed: ['a', 'missing'] });
    const second = await log.next('resources');
    expect(second.changes).toEqual({ updated: [endpoints('b')], removed: [] });
    expect(second.resources).toEqual([endpoints('b')]);

    client.unsubscribe(eds, ['b']);
    expect((await log.next('subscribe')).subscription).toMatchObject({ resourceNames: [], removed: ['b'] });
    expect(client.resources(eds)).toEqual([]);
  });

  it('sends explicit changes within the subscription, and an empty first answer when there is nothing', async () => {
    const log = new EventLog<Event>();
    const endpoints = (name: string, weight: number) => ({ '@type': eds, cluster_name: name, endpoints: [{ load_balancing_weight: weight }] });
    const { server, delta } = deltaServer(log, (d, id, typeUrl) => d.pushChanges(id, typeUrl, {}, 'empty'));
    cleanups.push(() => server.close());
    const port = await server.listen('127.0.0.1:0');
    const client = deltaClient(log, port);
    cleanups.push(() => client.close());

    client.subscribe(eds, ['a']);
    const { id } = await log.next('subscribe');
    expect(await log.next('resources')).toMatchObject({ version: 'empty', resources: [], changes: { updated: [], removed: [] } });
    await log.next('ack');

    delta.pushChanges(id, eds, {}, 'nothing');
    delta.pushChanges(id, eds, { resources: [endpoints('a', 1), endpoints('b', 1)], removed: ['c'] }, 'v1');
    const first = await log.next('resources');
    expect(first).toMatchObject({ version: 'v1', changes: { updated: [endpoints('a', 1)], removed: [] } });
    await log.next('ack', (e) => e.version === 'v1');

    // Sent as given, even when the client holds the same.
    delta.pushChanges(id, eds, { resources: [endpoints('a', 1)] }, 'v2');
    expect(await log.next('resources')).toMatchObject({ version: 'v2', changes: { updated: [endpoints('a', 1)] } });
    delta.pushChanges(id, eds, { removed: ['a'] }, 'v3');
    expect(await log.next('resources')).toMatchObject({ version: 'v3', resources: [], changes: { removed: ['a'] } });
  });

  it('serves state-of-the-world and delta clients on the same port', async () => {
    const log = new EventLog<Event>();
    let sotwAcked!: (version: string) => void;
    const sotwAck = new Promise<string>((resolve) => (sotwAcked = resolve));
    const sotw: AdsServerHandler = {
      ...noSotw,
      onSubscribe: (id, typeUrl) => server.push(id, typeUrl, [clusterB], 'sotw-1'),
      onAck: (_id, _typeUrl, version) => sotwAcked(version),
    };
    const { server } = deltaServer(log, (d, id, typeUrl) => d.pushDesired(id, typeUrl, [clusterA], 'delta-1'), sotw);
    cleanups.push(() => server.close());
    const port = await server.listen('127.0.0.1:0');

    const deltaSide = deltaClient(log, port);
    cleanups.push(() => deltaSide.close());
    deltaSide.subscribe(cds, ['*']);
    const sotwSeen = new Promise<JsonObject[]>((resolve) => {
      const sotwSide = new AdsClient({ target: `127.0.0.1:${port}`, node, onResources: (_t, resources) => resolve(resources) });
      cleanups.push(() => sotwSide.close());
      sotwSide.subscribe(cds, []);
    });
    expect((await log.next('resources')).resources).toEqual([clusterA]);
    expect(await sotwSeen).toEqual([clusterB]);
    expect(await log.next('ack')).toMatchObject({ version: 'delta-1' });
    expect(await sotwAck).toBe('sotw-1');
  });

  it('reads the legacy empty first request as a wildcard, ignores stale nonces, and refuses a stream without node', async () => {
    const log = new EventLog<Event>();
    const { server, delta } = deltaServer(log, (d, id, typeUrl) => d.pushDesired(id, typeUrl, [clusterA], 'v1'));
    cleanups.push(() => server.close());
    const port = await server.listen('127.0.0.1:0');
    const raw = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    cleanups.push(() => raw.close());

    const call = raw.makeBidiStreamRequest(deltaAdsMethodPath, serializeDeltaRequest, deserializeDeltaResponse);
    call.on('error', () => undefined); // cancelled at cleanup
    cleanups.push(() => call.cancel());
    const responses: WireDeltaResponse[] = [];
    const answered = new Promise<void>((resolve) => call.on('data', (r: WireDeltaResponse) => (responses.push(r), resolve())));
    call.write({ node, type_url: cds } satisfies DeltaDiscoveryRequest);
    expect((await log.next('subscribe')).subscription).toMatchObject({ wildcard: true, resourceNames: [] });
    await answered;
    expect(responses[0]).toMatchObject({ system_version_info: 'v1', type_url: cds, removed_resources: [] });
    expect(responses[0]?.resources.map((r) => r.name)).toEqual([outboundCluster.name]);

    call.write({ type_url: cds, response_nonce: 'not-a-nonce-we-sent' } satisfies DeltaDiscoveryRequest);
    call.write({ type_url: cds, response_nonce: responses[0]!.nonce } satisfies DeltaDiscoveryRequest);
    const ack = await log.next('ack');
    expect(ack.version).toBe('v1');
    expect(delta.streamState(ack.id)?.types.get(cds)?.ackedVersion).toBe('v1');

    const nodeless = raw.makeBidiStreamRequest(deltaAdsMethodPath, serializeDeltaRequest, deserializeDeltaResponse);
    const failed = new Promise<grpc.ServiceError>((resolve) => nodeless.on('error', resolve));
    nodeless.write({ type_url: cds } satisfies DeltaDiscoveryRequest);
    const error = await failed;
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error.details).toBe('the first DeltaDiscoveryRequest of a stream must carry node');
  });

  it('refuses to push resources that are unnamed, repeated or do not fit their type', async () => {
    const log = new EventLog<Event>();
    const { server, delta } = deltaServer(log);
    cleanups.push(() => server.close());
    const port = await server.listen('127.0.0.1:0');
    const client = deltaClient(log, port);
    cleanups.push(() => client.close());
    client.subscribe(cds, []);
    const { id } = await log.next('subscribe');
    expect(() => delta.pushDesired(id, cds, [{ connect_timeout: '1s' }], '1')).toThrow(`push ${cds}: resources[0] has no name`);
    expect(() => delta.pushDesired(id, cds, [clusterB, clusterB2], '1')).toThrow(`push ${cds}: resource "b" appears twice`);
    expect(() => delta.pushDesired(id, cds, [{ name: 'c', connect_timeout: 'soon' }], '1')).toThrow(
      `push ${cds}: resource "c": Cluster.connect_timeout: expected a duration like "1.5s", got "soon"`,
    );
    expect(delta.pushDesired('no-such-stream', cds, [], '1')).toBe(false);
  });

  it('NACKs a response whose resource is of another type, misnamed or does not decode, without calling the handler', async () => {
    // A server of our own making, to put on the wire what no proper server would send.
    const requests: DeltaDiscoveryRequest[] = [];
    const wanted = 4;
    let allIn!: () => void;
    const done = new Promise<void>((resolve) => (allIn = resolve));
    const listener = { type_url: TypeUrl.Listener, value: encode(TypeUrl.Listener, { name: 'l' }) };
    const named = (name: string) => ({ type_url: cds, value: encode(cds, { name }) });
    const garbage = { type_url: cds, value: new Uint8Array([0x0a, 0x40, 0x01]) };
    const bad = [
      { name: 'l', version: '1', resource: listener },
      { name: 'x', version: '1', resource: named('y') },
      { name: 'g', version: '1', resource: garbage },
    ];
    const raw = new grpc.Server();
    raw.addService(deltaAdsServiceDefinition, {
      DeltaAggregatedResources: (call: grpc.ServerDuplexStream<DeltaDiscoveryRequest, WireDeltaResponse>) => {
        call.on('data', (request: DeltaDiscoveryRequest) => {
          requests.push(request);
          const next = bad[requests.length - 1];
          if (next) call.write({ system_version_info: `v${requests.length}`, type_url: cds, nonce: `n${requests.length}`, resources: [next], removed_resources: [] });
          if (requests.length === wanted) allIn();
        });
        call.on('end', () => call.end());
      },
    });
    cleanups.push(() => raw.forceShutdown());
    const port = await listenOnLoopback(raw);
    let applied = 0;
    const client = new DeltaAdsClient({ target: `127.0.0.1:${port}`, node, onResources: () => void applied++ });
    cleanups.push(() => client.close());
    client.subscribe(cds, []);
    await done;
    expect(requests[0]).toEqual({ node, type_url: cds, resource_names_subscribe: ['*'] });
    expect(requests.slice(1).map((r) => [r.response_nonce, r.error_detail?.code, r.node])).toEqual([
      ['n1', 3, undefined],
      ['n2', 3, undefined],
      ['n3', 3, undefined],
    ]);
    expect(requests[1]?.error_detail?.message).toBe(`resources[0] ("l") is a ${TypeUrl.Listener}, not a ${cds}`);
    expect(requests[2]?.error_detail?.message).toBe('resources[0] ("x") names itself "y"');
    expect(requests[3]?.error_detail?.message).toMatch(/^resources\[0\] \("g"\): Any: cannot decode Cluster/);
    expect(applied).toBe(0);
    expect(client.resources(cds)).toEqual([]);
  });

  it('runs over TLS when given credentials', async () => {
    const { cert, key } = loopbackCertificate();

    const log = new EventLog<Event>();
    const { server } = deltaServer(log, (d, id, typeUrl) => d.pushDesired(id, typeUrl, [clusterA], 'tls-1'));
    cleanups.push(() => server.close());
    const port = await server.listen('127.0.0.1:0', grpc.ServerCredentials.createSsl(null, [{ cert_chain: cert, private_key: key }]));
    const client = new DeltaAdsClient({
      target: `127.0.0.1:${port}`,
      node,
      credentials: grpc.credentials.createSsl(cert),
      onResources: (typeUrl, resources, version, changes) => log.add({ kind: 'resources', typeUrl, resources, version, changes }),
    });
    cleanups.push(() => client.close());
    client.subscribe(cds, []);
    expect(await log.next('resources')).toMatchObject({ version: 'tls-1', resources: [clusterA] });
    expect(await log.next('ack')).toMatchObject({ version: 'tls-1' });
  });
});
