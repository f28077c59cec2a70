/**
 * istiod's push path at scale: N services (one HTTP port each, 5 pods behind each, a
 * DestinationRule with two subsets on every tenth) and P sidecar proxies, each subscribed to
 * CDS, LDS, RDS and the EDS of every cluster, as Envoy subscribes. Resources are encoded to
 * protobuf as the ADS server would before writing them. Prints the time of the first full
 * config for all proxies, of the push after one endpoint change, and of a push after a
 * VirtualService change, with the heap and RSS after each.
 *
 * As the ADS server does, a resource object is encoded once and its bytes reused for every
 * proxy that gets the same object. bench/istiod-grpc.ts measures the same over real gRPC.
 *
 *   node bench/istiod-push.ts [--services 1000] [--proxies 100]
 */
import { parseArgs } from 'node:util';
import { MemoryConfigStore, type KubeObject } from '@mizzen/config';
import { packAny, TypeUrl, type JsonObject } from '@mizzen/xds';
import { DiscoveryServer } from '../apps/istiod/src/xds/discovery-server.ts';
import { mesh, proxyNode } from './istiod-mesh.ts';

const { values } = parseArgs({ options: { services: { type: 'string', default: '1000' }, proxies: { type: 'string', default: '100' } } });
const serviceCount = Number(values.services);
const proxyCount = Number(values.proxies);
const store = new MemoryConfigStore();
store.replaceAll(mesh(serviceCount));
// Pushes are triggered by hand below, so that each is timed alone.
const discovery = new DiscoveryServer(store, { log: () => {}, debounceMs: 600_000 });

let encodedBytes = 0;
let pushes = 0;
const encoded = new WeakMap<JsonObject, Uint8Array>();
function encode(resource: JsonObject): Uint8Array {
  let bytes = encoded.get(resource);
  if (!bytes) {
    bytes = packAny(resource).value;
    encoded.set(resource, bytes);
  }
  return bytes;
}
discovery.setPusher((_stream, _typeUrl, resources: JsonObject[]) => {
  for (const resource of resources) encodedBytes += encode(resource).length;
  pushes += 1;
  return true;
});

function memory(): string {
  const { rss, heapUsed } = process.memoryUsage();
  return `heap ${(heapUsed / 2 ** 20).toFixed(0)} MiB, rss ${(rss / 2 ** 20).toFixed(0)} MiB`;
}

let cpu = process.cpuUsage();

function report(label: string, started: number, bytesBefore: number, pushesBefore: number): void {
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  cpu = process.cpuUsage();
  console.log(
    `${label.padEnd(28)} ${ms.toFixed(0).padStart(7)} ms  cpu ${((used.user + used.system) / 1000).toFixed(0).padStart(6)} ms  ${String(pushes - pushesBefore).padStart(5)} responses  ${((encodedBytes - bytesBefore) / 2 ** 20).toFixed(1).padStart(7)} MiB encoded  ${memory()}`,
  );
}

/** Pushes go out a batch of proxies per turn of the event loop: wait until all have. */
async function settled(): Promise<void> {
  while (!discovery.idle) await new Promise((resolve) => setImmediate(resolve));
}

console.log(`istiod push: ${serviceCount} services, ${serviceCount * 5} pods, ${proxyCount} proxies, node ${process.version}`);
cpu = process.cpuUsage();
let started = performance.now();
let bytes = encodedBytes;
let before = pushes;
const edsNames = discovery.pushContext.registry.services.flatMap((s) => [`outbound|${s.ports[0].port}||${s.hostname}`]);
for (let i = 0; i < proxyCount; i++) {
  const id = `stream-${i}`;
  discovery.onStreamOpen({ id, peer: '127.0.0.1', node: proxyNode(i, serviceCount) });
  discovery.onSubscribe(id, TypeUrl.Cluster, []);
  discovery.onSubscribe(id, TypeUrl.ClusterLoadAssignment, edsNames);
  discovery.onSubscribe(id, TypeUrl.Listener, []);
  discovery.onSubscribe(id, TypeUrl.RouteConfiguration, [...new Set(discovery.pushContext.registry.services.map((svc) => String(svc.ports[0].port)))]);
}
report('first full config', started, bytes, before);

async function pushAfter(label: string, objects: KubeObject[]): Promise<void> {
  cpu = process.cpuUsage();
  started = performance.now();
  bytes = encodedBytes;
  before = pushes;
  store.replaceAll(objects);
  discovery.pushNow();
  await settled();
  report(label, started, bytes, before);
}

// One pod moves: every proxy gets EDS again (one assignment differs).
await pushAfter('push after endpoint change', mesh(serviceCount, 'svc-3-1'));
// Every VirtualService's timeout changes: RDS for every proxy.
await pushAfter('push after VS change', mesh(serviceCount, 'svc-3-1', '6s'));
discovery.close();
