/**
 * istiod's discovery server under load over real gRPC, as issue 4's benchmark asks: N services
 * (bench/istiod-mesh.ts) and P simulated sidecars, each on its own HTTP/2 connection, speaking
 * ADS as Envoy does: CDS first, then EDS for the EDS clusters it got, then LDS, then RDS for the
 * route names its listeners carry, ACKing every response. The proxies run in child processes
 * (--client-processes, 2 by default) so that their CPU is not counted as istiod's; this process
 * is istiod (store, push context, generators, ADS server) plus the clock.
 *
 * Measures: the time until every proxy has ACKed its full config; for endpoint changes (one pod
 * moves, a Kubernetes watch event), the time from the change until each proxy ACKs the EDS
 * response carrying it (p50, p99, max, over all proxies and rounds), the debounce included;
 * the same for a VirtualService change (a full push, new routes); istiod's CPU seconds and
 * peak RSS.
 *
 *   node bench/istiod-grpc.ts [--services 1000] [--proxies 500] [--rounds 5] [--client-processes 2] [--debounce-ms 100]
 */
import { fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { MemoryConfigStore, type KubeObject } from '@mizzen/config';
import { adsMethodPath, adsServiceDefinition, decode, lookupMessage, TypeUrl, type WireResponse } from '@mizzen/xds';
import { createAdsTransport } from '../apps/istiod/src/xds/ads-transport.ts';
import { DiscoveryServer } from '../apps/istiod/src/xds/discovery-server.ts';
import { mesh, proxyNode } from './istiod-mesh.ts';

const { values } = parseArgs({
  options: {
    services: { type: 'string', default: '1000' },
    proxies: { type: 'string', default: '500' },
    rounds: { type: 'string', default: '5' },
    'client-processes': { type: 'string', default: '2' },
    'debounce-ms': { type: 'string', default: '100' },
    // Internal: run as a client process.
    client: { type: 'string' },
    from: { type: 'string' },
    count: { type: 'string' },
  },
});
const serviceCount = Number(values.services);

if (values.client) await runClients(values.client, Number(values.from), Number(values.count));
else await runIstiod();

// ---------------------------------------------------------------- the simulated sidecars

async function runClients(target: string, from: number, count: number): Promise<void> {
  // Ready once the protos are loaded, so that start-up is not part of the time measured.
  lookupMessage(TypeUrl.Cluster);
  lookupMessage(TypeUrl.Listener);
  let proxies: (() => void)[] = [];
  process.on('message', (message: string) => {
    if (message === 'connect') {
      proxies = Array.from({ length: count }, (_, i) => simulatedEnvoy(target, from + i));
      return;
    }
    for (const close of proxies) close();
    process.send?.({ cpu: process.cpuUsage() }, () => process.exit(0));
  });
  process.send?.({ ready: true });
}

/** One Envoy-like ADS stream; returns how to close it. */
function simulatedEnvoy(target: string, index: number): () => void {
  // Its own connection, as each sidecar has.
  const client = new grpc.Client(target, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1, 'grpc.max_receive_message_length': 64 * 2 ** 20 });
  const wire = adsServiceDefinition.StreamAggregatedResources;
  const call = client.makeBidiStreamRequest(adsMethodPath, wire.requestSerialize, wire.responseDeserialize);
  const names = new Map<string, string[]>();
  const send = (typeUrl: string, response?: WireResponse) =>
    call.write({
      ...(names.size === 0 ? { node: proxyNode(index, serviceCount) } : {}),
      type_url: typeUrl,
      resource_names: names.get(typeUrl) ?? [],
      ...(response ? { version_info: response.version_info, response_nonce: response.nonce } : {}),
    });
  const subscribe = (typeUrl: string, wanted: string[]) => {
    if (names.has(typeUrl) && names.get(typeUrl)?.join() === wanted.join()) return;
    names.set(typeUrl, wanted);
    send(typeUrl);
  };
  call.on('data', (response: WireResponse) => {
    switch (response.type_url) {
      case TypeUrl.Cluster:
        subscribe(TypeUrl.ClusterLoadAssignment, edsNames(response));
        break;
      case TypeUrl.ClusterLoadAssignment:
        subscribe(TypeUrl.Listener, []);
        break;
      case TypeUrl.Listener:
        subscribe(TypeUrl.RouteConfiguration, routeNames(response));
        break;
    }
    send(response.type_url, response);
  });
  call.on('error', () => {});
  names.set(TypeUrl.Cluster, []);
  call.write({ node: proxyNode(index, serviceCount), type_url: TypeUrl.Cluster, resource_names: [] });
  return () => {
    call.cancel();
    client.close();
  };
}

const clusterType = () => lookupMessage(TypeUrl.Cluster);

/** The EDS clusters' service names, read as Envoy reads them. */
function edsNames(response: WireResponse): string[] {
  const eds = 3; // Cluster.DiscoveryType.EDS
  return response.resources
    .map((any) => clusterType().decode(any.value) as unknown as { name: string; type?: number; eds_cluster_config?: { service_name?: string } })
    .filter((c) => c.type === eds)
    .map((c) => c.eds_cluster_config?.service_name || c.name);
}

/** The route configuration names the listeners' connection managers ask RDS for. */
function routeNames(response: WireResponse): string[] {
  const found = new Set<string>();
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        if (key === 'route_config_name' && typeof child === 'string') found.add(child);
        else walk(child);
      }
    }
  };
  for (const any of response.resources) walk(decode(TypeUrl.Listener, any.value));
  return [...found].sort();
}

// ---------------------------------------------------------------- istiod and the clock

async function runIstiod(): Promise<void> {
  const proxyCount = Number(values.proxies);
  const rounds = Number(values.rounds);
  const processes = Math.max(1, Math.min(Number(values['client-processes']), proxyCount));
  const store = new MemoryConfigStore();
  store.replaceAll(mesh(serviceCount));
  const discovery = new DiscoveryServer(store, { log: () => {}, debounceMs: Number(values['debounce-ms']) });

  // Every ACK, as it reaches istiod.
  type Ack = (streamId: string, typeUrl: string, version: string, nonce: string) => void;
  const listeners = new Set<Ack>();
  const onAck = discovery.onAck.bind(discovery);
  discovery.onAck = (streamId, typeUrl, version, nonce) => {
    onAck(streamId, typeUrl, version, nonce);
    for (const listener of listeners) listener(streamId, typeUrl, version, nonce);
  };
  const ads = createAdsTransport(discovery);
  const port = await ads.listen('127.0.0.1:0');

  console.log(`istiod over gRPC: ${serviceCount} services, ${serviceCount * 5} pods, ${proxyCount} proxies in ${processes} client processes, debounce ${values['debounce-ms']} ms, node ${process.version}`);
  const cpuAtStart = process.cpuUsage();
  const loadAtStart = os.loadavg()[0];
  let cpu = process.cpuUsage();
  const cpuMs = () => {
    const used = process.cpuUsage(cpu);
    cpu = process.cpuUsage();
    return (used.user + used.system) / 1000;
  };

  // Full config: every proxy has ACKed CDS, EDS, LDS and RDS.
  const fullTypes = [TypeUrl.Cluster, TypeUrl.ClusterLoadAssignment, TypeUrl.Listener, TypeUrl.RouteConfiguration];
  const complete = new Set<string>();
  const allAcked = new Promise<void>((resolve) => {
    const listener: Ack = (streamId) => {
      if (complete.has(streamId)) return;
      const types = discovery.connections.get(streamId)?.types;
      if (!fullTypes.every((t) => types?.get(t)?.ackedVersion !== undefined)) return;
      complete.add(streamId);
      if (complete.size === proxyCount) {
        listeners.delete(listener);
        resolve();
      }
    };
    listeners.add(listener);
  });
  const children: ChildProcess[] = [];
  const perProcess = Math.ceil(proxyCount / processes);
  for (let p = 0; p < processes; p++) {
    const count = Math.min(perProcess, proxyCount - p * perProcess);
    children.push(fork(import.meta.filename, ['--client', `127.0.0.1:${port}`, '--services', String(serviceCount), '--from', String(p * perProcess), '--count', String(count)], { stdio: 'inherit' }));
  }
  await Promise.all(children.map((child) => new Promise((resolve) => child.once('message', resolve))));
  cpuMs();
  const started = performance.now();
  for (const child of children) child.send('connect');
  await allAcked;
  const fullMs = performance.now() - started;
  console.log(`full config ACKed by all ${proxyCount}: ${fullMs.toFixed(0)} ms wall, istiod cpu ${cpuMs().toFixed(0)} ms, ${memory()}`);

  /** Applies a change and waits until every proxy has ACKed a newer response of the type;
   *  gives each proxy's time from the change. */
  async function converge(typeUrl: string, change: () => void): Promise<number[]> {
    const before = pushNumber(discovery.pushContext.version);
    const times = new Map<string, number>();
    let changedAt = 0;
    const done = new Promise<void>((resolve) => {
      const listener: Ack = (streamId, type, version) => {
        if (type !== typeUrl || times.has(streamId) || pushNumber(version) <= before) return;
        times.set(streamId, performance.now() - changedAt);
        if (times.size === proxyCount) {
          listeners.delete(listener);
          resolve();
        }
      };
      listeners.add(listener);
    });
    changedAt = performance.now();
    change();
    await done;
    return [...times.values()];
  }

  const objects = mesh(serviceCount);
  const pods = objects.filter((o) => o.kind === 'Pod');
  const edsTimes: number[] = [];
  for (let round = 0; round < rounds; round++) {
    // One pod gets a new IP, as a Kubernetes watch would say it.
    const pod = pods[(round * 37) % pods.length] as KubeObject & { status: { podIP: string } };
    const times = await converge(TypeUrl.ClusterLoadAssignment, () => store.set({ ...pod, status: { podIP: `10.250.0.${round + 1}` } }));
    edsTimes.push(...times);
  }
  const edsCpu = cpuMs() / rounds;
  console.log(`endpoint change, ${rounds} rounds: ACKed by every proxy p50 ${pct(edsTimes, 50)} ms, p99 ${pct(edsTimes, 99)} ms, max ${pct(edsTimes, 100)} ms; istiod cpu ${edsCpu.toFixed(0)} ms per change, ${memory()}`);

  const vs = objects.find((o) => o.kind === 'VirtualService') as KubeObject & { spec: { http: { timeout: string }[] } };
  const vsTimes = await converge(TypeUrl.RouteConfiguration, () => store.set({ ...vs, spec: { ...vs.spec, http: vs.spec.http.map((r) => ({ ...r, timeout: '7s' })) } }));
  console.log(`VirtualService change (full push): ACKed by every proxy p50 ${pct(vsTimes, 50)} ms, p99 ${pct(vsTimes, 99)} ms, max ${pct(vsTimes, 100)} ms; istiod cpu ${cpuMs().toFixed(0)} ms, ${memory()}`);

  const clientCpu = await Promise.all(
    children.map((child) => new Promise<number>((resolve) => {
      child.on('message', (message: { cpu?: NodeJS.CpuUsage }) => message.cpu && resolve((message.cpu.user + message.cpu.system) / 1000));
      child.send('stop');
    })),
  );
  const total = process.cpuUsage(cpuAtStart);
  console.log(`istiod cpu ${((total.user + total.system) / 1e6).toFixed(1)} s in all, peak rss ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB; client processes cpu ${(clientCpu.reduce((a, b) => a + b, 0) / 1000).toFixed(1)} s; load average ${loadAtStart.toFixed(1)} at the start, ${os.loadavg()[0].toFixed(1)} at the end`);
  discovery.close();
  await ads.close();
}

function pushNumber(version: string): number {
  return Number(version.slice(version.lastIndexOf('/') + 1));
}

function pct(values: number[], p: number): string {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)].toFixed(0);
}

function memory(): string {
  const { rss, heapUsed } = process.memoryUsage();
  return `heap ${(heapUsed / 2 ** 20).toFixed(0)} MiB, rss ${(rss / 2 ** 20).toFixed(0)} MiB`;
}

