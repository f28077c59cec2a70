// Every golden istiod writes is pushed over ADS to a real mizzen-proxy, which must ACK it: a
// field istiod sends and the proxy rejects would hold back the proxy's whole update for that
// type. The goldens are read from istiod's folder, so a new golden is covered the day it lands.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdsServer, TypeUrl, type JsonObject } from '@mizzen/xds';
import { freePort } from '@mizzen/testing';

const goldenDir = fileURLToPath(new URL('../../apps/istiod/src/networking/testdata/golden/', import.meta.url));
const proxyMain = fileURLToPath(new URL('../../apps/proxy/src/main.ts', import.meta.url));

/** What the control plane saw: subscriptions, and every ACK and NACK in order. */
class ControlPlane {
  readonly server: AdsServer;
  stream = '';
  readonly subscribed = new Set<string>();
  readonly answers: { typeUrl: string; version: string; error?: string }[] = [];
  private waiters: (() => void)[] = [];

  constructor() {
    this.server = new AdsServer({
      onStreamOpen: (s) => this.record(() => (this.stream = s.id)),
      onSubscribe: (_id, typeUrl) => this.record(() => this.subscribed.add(typeUrl)),
      onAck: (_id, typeUrl, version) => this.record(() => this.answers.push({ typeUrl, version })),
      onNack: (_id, typeUrl, version, _nonce, error) => this.record(() => this.answers.push({ typeUrl, version, error })),
      onStreamClose: () => this.record(() => (this.stream = '')),
    });
  }

  private record(fn: () => void): void {
    fn();
    for (const w of this.waiters.splice(0)) w();
  }

  async until(check: () => boolean): Promise<void> {
    while (!check()) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Pushes resources under a new version and resolves to the proxy's answer: undefined for
   *  its ACK, the error detail of a NACK (which names the version the proxy kept instead). */
  async push(typeUrl: string, resources: JsonObject[], version: string): Promise<string | undefined> {
    const from = this.answers.length;
    const answer = () => this.answers.slice(from).find((a) => a.typeUrl === typeUrl && (a.error !== undefined || a.version === version));
    this.server.push(this.stream, typeUrl, resources, version);
    await this.until(() => answer() !== undefined);
    return answer()!.error;
  }
}

interface Golden {
  file: string;
  typeUrl: string;
  resources: JsonObject[];
}

/** The goldens that hold xDS resources (objects with "@type"); a golden of a single resource
 *  counts as a list of one. Goldens of plain names (which clusters a proxy sees) carry no
 *  resource to push. */
async function loadGoldens(): Promise<Golden[]> {
  const goldens: Golden[] = [];
  for (const file of (await readdir(goldenDir)).filter((f) => f.endsWith('.json')).sort()) {
    const json = JSON.parse(await readFile(join(goldenDir, file), 'utf8')) as unknown;
    const list = (Array.isArray(json) ? json : [json]) as unknown[];
    const resources = list.filter((r): r is JsonObject => typeof r === 'object' && r !== null && typeof (r as JsonObject)['@type'] === 'string');
    if (resources.length === 0) continue;
    if (resources.length !== list.length) throw new Error(`${file}: mixes resources and other entries`);
    const types = new Set(resources.map((r) => r['@type'] as string));
    if (types.size !== 1) throw new Error(`${file}: holds more than one resource type (${[...types].join(', ')})`);
    goldens.push({ file, typeUrl: [...types][0], resources });
  }
  return goldens;
}

/** A listener the proxy binds for real gets a loopback address and a free port instead of the
 *  pod's (the goldens bind pod IPs and Istio's fixed ports, which this machine may not have or
 *  may use); everything else about it is pushed as istiod wrote it. */
async function onLoopback(listener: JsonObject): Promise<JsonObject> {
  if (listener.bind_to_port === false) return listener;
  const address = { socket_address: { address: '127.0.0.1', port_value: await freePort() } };
  return { ...listener, address };
}

/** A DNS cluster's host names become `localhost`, so that resolving them stays on this
 *  machine (from its hosts file); the rest of the cluster is pushed as istiod wrote it. */
function resolvedLocally(cluster: JsonObject): JsonObject {
  if (cluster.type !== 'STRICT_DNS' && cluster.type !== 'LOGICAL_DNS') return cluster;
  const local = (e: JsonObject) => ({ ...e, endpoint: { ...(e.endpoint as JsonObject), address: { socket_address: { ...((e.endpoint as JsonObject).address as { socket_address: JsonObject }).socket_address, address: 'localhost' } } } });
  const assignment = cluster.load_assignment as { endpoints?: { lb_endpoints?: JsonObject[] }[] } | undefined;
  return { ...cluster, load_assignment: { ...assignment, endpoints: (assignment?.endpoints ?? []).map((l) => ({ ...l, lb_endpoints: (l.lb_endpoints ?? []).map(local) })) } };
}

const goldens = await loadGoldens();
const byType = (typeUrl: string) => goldens.filter((g) => g.typeUrl === typeUrl);
const handled = [TypeUrl.Cluster, TypeUrl.ClusterLoadAssignment, TypeUrl.Listener, TypeUrl.RouteConfiguration] as string[];

let cp: ControlPlane;
let proxy: ChildProcess;
let dir: string;
let proxyLog = '';

beforeAll(async () => {
  cp = new ControlPlane();
  const adsPort = await cp.server.listen('127.0.0.1:0');
  dir = await mkdtemp(join(tmpdir(), 'compat-'));
  const bootstrap = {
    node: { id: 'sidecar~127.0.0.1~compat.default~default.svc.cluster.local', cluster: 'compat.default', metadata: { NAMESPACE: 'default', INTERCEPTION_MODE: 'NONE' } },
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: 0 } } },
    dynamic_resources: {
      ads_config: { api_type: 'GRPC', transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: 'xds-grpc' } }] },
      cds_config: { ads: {}, resource_api_version: 'V3' },
      lds_config: { ads: {}, resource_api_version: 'V3' },
    },
    static_resources: {
      clusters: [{
        name: 'xds-grpc', type: 'STATIC', connect_timeout: '1s',
        typed_extension_protocol_options: {
          'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': { '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions', explicit_http_config: { http2_protocol_options: {} } },
        },
        load_assignment: { cluster_name: 'xds-grpc', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: adsPort } } } }] }] },
      }],
    },
  };
  const file = join(dir, 'bootstrap.json');
  await writeFile(file, JSON.stringify(bootstrap));
  proxy = spawn(process.execPath, [proxyMain, '-c', file, '--log-level', 'warning', '--drain-time-s', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  proxy.stderr!.setEncoding('utf8').on('data', (d: string) => (proxyLog += d));
  const exited = once(proxy, 'exit').then(([code]) => { throw new Error(`the proxy exited (${String(code)}):\n${proxyLog}`); });
  await Promise.race([cp.until(() => cp.stream !== '' && cp.subscribed.has(TypeUrl.Cluster)), exited]);
}, 30_000);

afterAll(async () => {
  if (proxy && proxy.exitCode === null && proxy.signalCode === null) {
    proxy.kill('SIGTERM');
    await once(proxy, 'exit');
  }
  await cp?.server.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Pushes the resources and fails with the proxy's NACK, which names the field it rejects. */
async function expectAck(typeUrl: string, resources: JsonObject[], version: string): Promise<void> {
  const nack = await cp.push(typeUrl, resources, version);
  expect(nack, `NACK: ${nack}`).toBeUndefined();
}

describe('the proxy accepts every golden istiod writes', () => {
  it('finds goldens of every resource type and nothing else', () => {
    for (const typeUrl of handled) expect(byType(typeUrl).length, typeUrl).toBeGreaterThan(0);
    expect(goldens.filter((g) => !handled.includes(g.typeUrl)).map((g) => g.file)).toEqual([]);
  });

  // Envoy's order: clusters and their endpoints, then listeners, then the routes they name.
  describe('CDS', () => {
    it.each(byType(TypeUrl.Cluster).map((g) => [g.file, g] as const))('%s', async (_file, g) => {
      await expectAck(g.typeUrl, g.resources.map(resolvedLocally), g.file);
    });
  });

  describe('EDS', () => {
    it.each(byType(TypeUrl.ClusterLoadAssignment).map((g) => [g.file, g] as const))('%s', async (_file, g) => {
      await expectAck(g.typeUrl, g.resources, g.file);
    });
  });

  describe('LDS', () => {
    beforeAll(async () => {
      // No cluster left warming, so the proxy goes on to ask for listeners.
      await expectAck(TypeUrl.Cluster, [], 'no-clusters');
      await cp.until(() => cp.subscribed.has(TypeUrl.Listener));
    });
    it.each(byType(TypeUrl.Listener).map((g) => [g.file, g] as const))('%s', async (_file, g) => {
      const listeners = await Promise.all(g.resources.map(onLoopback));
      await expectAck(g.typeUrl, listeners, g.file);
    });
  });

  describe('RDS', () => {
    it.each(byType(TypeUrl.RouteConfiguration).map((g) => [g.file, g] as const))('%s', async (_file, g) => {
      await expectAck(g.typeUrl, g.resources, g.file);
    });
  });
});
