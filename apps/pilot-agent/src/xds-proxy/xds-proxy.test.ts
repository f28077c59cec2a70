import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdsClient, AdsServer, TypeUrl, type JsonObject } from '@mizzen/xds';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentMetrics } from '../metrics/agent-metrics.ts';
import { XdsProxy } from './xds-proxy.ts';

// istiod is a real AdsServer on loopback, the proxy a real AdsClient on the unix socket; the
// agent's xDS proxy sits between them.

const node = { id: 'sidecar~10.0.0.7~sleep-1.demo~demo.svc.cluster.local', cluster: 'sleep.demo' };
const cluster = { '@type': TypeUrl.Cluster, name: 'outbound|80||web.demo.svc.cluster.local', type: 'EDS', connect_timeout: '1s', eds_cluster_config: { eds_config: { ads: {} } } };
const table = (ip: string) => ({ '@type': TypeUrl.NameTable, table: { 'web.demo.svc.cluster.local': { ips: [ip], registry: 'Kubernetes', shortname: 'web', namespace: 'demo' } } });

/** A queue of events that a test awaits one by one. */
class Events<T> {
  readonly #items: T[] = [];
  readonly #waiters: Array<{ match: (item: T) => boolean; resolve: (item: T) => void }> = [];
  add(item: T): void {
    const waiter = this.#waiters.find((w) => w.match(item));
    if (waiter) {
      this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
      waiter.resolve(item);
    } else this.#items.push(item);
  }
  next(match: (item: T) => boolean): Promise<T> {
    const index = this.#items.findIndex(match);
    if (index >= 0) return Promise.resolve(this.#items.splice(index, 1)[0]);
    return new Promise((resolve) => this.#waiters.push({ match, resolve }));
  }
}

type IstiodEvent =
  | { kind: 'open'; id: string; node: JsonObject }
  | { kind: 'subscribe'; id: string; typeUrl: string }
  | { kind: 'ack'; id: string; typeUrl: string; version: string }
  | { kind: 'nack'; id: string; typeUrl: string; version: string; error: string }
  | { kind: 'close'; id: string };

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setUp(onNameTable?: (table: JsonObject, version: string) => void) {
  const events = new Events<IstiodEvent>();
  const istiod = new AdsServer({
    onStreamOpen: ({ id, node }) => events.add({ kind: 'open', id, node }),
    onSubscribe: (id, typeUrl) => events.add({ kind: 'subscribe', id, typeUrl }),
    onAck: (id, typeUrl, version) => events.add({ kind: 'ack', id, typeUrl, version }),
    onNack: (id, typeUrl, version, _nonce, error) => events.add({ kind: 'nack', id, typeUrl, version, error }),
    onStreamClose: (id) => events.add({ kind: 'close', id }),
  });
  cleanups.push(() => istiod.close());
  const port = await istiod.listen('127.0.0.1:0');
  const dir = mkdtempSync(join(tmpdir(), 'xds-proxy-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const socketPath = join(dir, 'XDS');
  const metrics = new AgentMetrics();
  const xdsProxy = await XdsProxy.start({ socketPath, upstream: `127.0.0.1:${port}`, onNameTable, metrics, log: () => {} });
  cleanups.push(() => xdsProxy.close());
  const received = new Events<{ typeUrl: string; resources: JsonObject[]; version: string }>();
  const client = new AdsClient({
    target: `unix:${socketPath}`,
    node,
    backoff: { initialMs: 20, maxMs: 100, jitter: 0 },
    onResources: (typeUrl, resources, version) => received.add({ typeUrl, resources, version }),
  });
  cleanups.push(() => client.close());
  return { events, istiod, port, client, received, metrics, xdsProxy };
}

describe('the local xDS proxy', { timeout: 20_000 }, () => {
  it('carries a proxy’s stream to istiod and back, unchanged, ACKs included', async () => {
    const { events, istiod, client, received, metrics } = await setUp();
    client.subscribe(TypeUrl.Cluster, []);
    const opened = await events.next((e) => e.kind === 'open');
    expect(opened).toMatchObject({ node });
    await events.next((e) => e.kind === 'subscribe' && e.typeUrl === TypeUrl.Cluster);
    istiod.push(opened.id, TypeUrl.Cluster, [cluster], 'v1');
    expect(await received.next(() => true)).toEqual({ typeUrl: TypeUrl.Cluster, resources: [cluster], version: 'v1' });
    expect(await events.next((e) => e.kind === 'ack')).toEqual({ kind: 'ack', id: opened.id, typeUrl: TypeUrl.Cluster, version: 'v1' });
    expect(metrics.value('istio_agent_xds_proxy_responses')).toBe(1);
    expect(metrics.value('istio_agent_xds_proxy_requests')).toBe(2);
  });

  it('when istiod goes away, ends the proxy’s stream; the proxy reconnects through it to the next istiod', async () => {
    const { events, istiod, port, client } = await setUp();
    client.subscribe(TypeUrl.Cluster, []);
    const first = await events.next((e) => e.kind === 'open');
    await istiod.close();
    await events.next((e) => e.kind === 'close' && e.id === first.id);
    const again = new AdsServer({
      onStreamOpen: ({ id, node }) => events.add({ kind: 'open', id, node }),
      onSubscribe: (id, typeUrl) => events.add({ kind: 'subscribe', id, typeUrl }),
      onAck: () => {},
      onNack: () => {},
      onStreamClose: () => {},
    });
    cleanups.push(() => again.close());
    await again.listen(`127.0.0.1:${port}`);
    const second = await events.next((e) => e.kind === 'open');
    expect(second.id).not.toBe(first.id);
    await events.next((e) => e.kind === 'subscribe' && e.id === second.id && e.typeUrl === TypeUrl.Cluster);
  });

  it('subscribes to the name table on the proxy’s stream, keeps it for the agent, and NACKs a bad one', async () => {
    const tables: Array<{ table: JsonObject; version: string }> = [];
    const { events, istiod, client, received } = await setUp((table, version) => {
      if (version === 'bad') throw new Error('no addresses for web.demo.svc.cluster.local');
      tables.push({ table, version });
    });
    client.subscribe(TypeUrl.Cluster, []);
    const opened = await events.next((e) => e.kind === 'open');
    await events.next((e) => e.kind === 'subscribe' && e.typeUrl === TypeUrl.NameTable);
    istiod.push(opened.id, TypeUrl.NameTable, [table('10.96.0.9')], 'n1');
    expect(await events.next((e) => e.kind === 'ack' && e.typeUrl === TypeUrl.NameTable)).toMatchObject({ version: 'n1' });
    expect(tables).toEqual([{ table: table('10.96.0.9'), version: 'n1' }]);

    istiod.push(opened.id, TypeUrl.NameTable, [table('10.96.0.10')], 'bad');
    expect(await events.next((e) => e.kind === 'nack')).toEqual({
      kind: 'nack', id: opened.id, typeUrl: TypeUrl.NameTable, version: 'n1', error: 'no addresses for web.demo.svc.cluster.local',
    });
    // Two tables in one response are refused by the agent before they reach the DNS proxy.
    istiod.push(opened.id, TypeUrl.NameTable, [table('10.96.0.11'), table('10.96.0.12')], 'two');
    expect(await events.next((e) => e.kind === 'nack')).toMatchObject({ version: 'n1', error: expect.stringMatching(/one NameTable, this one has 2/) });

    // The proxy itself never sees the name table.
    istiod.push(opened.id, TypeUrl.Cluster, [cluster], 'v1');
    expect(await received.next(() => true)).toMatchObject({ typeUrl: TypeUrl.Cluster, version: 'v1' });
  });

  it('fails to start, naming the socket, when the folder cannot be made or the path is too long', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xds-proxy-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'file'), '');
    const start = (socketPath: string) => XdsProxy.start({ socketPath, upstream: '127.0.0.1:1', metrics: new AgentMetrics(), log: () => {} });
    await expect(start(join(dir, 'file', 'XDS'))).rejects.toThrow(`cannot serve the xDS proxy on ${join(dir, 'file', 'XDS')}: EEXIST`);
    await expect(start(join(dir, 'x'.repeat(120), 'XDS'))).rejects.toThrow(/a unix socket path is at most 107 bytes/);
  });
});
