import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Runs as root: a pod namespace with the sidecar capture rules of iptables-init and a peer
// namespace, joined by a veth pair; the proxy runs in the pod with the sidecar's gid 1337, which
// the capture rules leave alone as they do its uid (keeping uid 0 lets it read the checkout
// wherever it lies).
const exec = promisify(execFile);
const mainTs = fileURLToPath(new URL('../main.ts', import.meta.url));
const answerer = fileURLToPath(new URL('./testdata/http-answerer.ts', import.meta.url));
const iptablesInit = fileURLToPath(new URL('../../../../node_modules/.bin/iptables-init', import.meta.url));

const run = `${process.pid}-${Math.floor(Math.random() * 1e6)}`;
const pod = `mzpx-${run}-pod`;
const peer = `mzpx-${run}-peer`;
const [a, b] = [1 + Math.floor(Math.random() * 250), 1 + Math.floor(Math.random() * 250)];
const podIp = `10.${a}.${b}.1`;
const peerIp = `10.${a}.${b}.2`;

const cleanups: (() => Promise<unknown>)[] = [];

/** Starts a long-running process and waits until its output says `readyText`; killed (and
 *  awaited) when the suite ends. */
async function start(args: string[], readyText: string): Promise<void> {
  const child = spawn('ip', args);
  const closed = once(child, 'close');
  cleanups.push(async () => {
    child.kill('SIGKILL');
    await closed;
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (d: string): void => {
      output += d;
      if (output.includes(readyText)) resolve();
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', onData);
    child.on('close', (code) => reject(new Error(`${args.join(' ')} exited with ${code}: ${output}`)));
  });
}

/** An HTTP/1.1 GET with curl from a namespace, as root (so the capture rules apply). */
async function get(netns: string, url: string): Promise<{ headers: string; body: string }> {
  const { stdout } = await exec('ip', ['netns', 'exec', netns, 'curl', '-sS', '--noproxy', '*', '-m', '10', '-D', '-', url]);
  const split = stdout.indexOf('\r\n\r\n');
  return { headers: stdout.slice(0, split).toLowerCase(), body: stdout.slice(split + 4) };
}

const tcpProxy = (cluster: string) => ({
  name: 'envoy.filters.network.tcp_proxy',
  typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', stat_prefix: cluster, cluster },
});

const staticCluster = (name: string, address: string, port: number) => ({
  name, type: 'STATIC', connect_timeout: '1s',
  load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address, port_value: port } } } }] }] },
});

const originalDstFilter = {
  name: 'envoy.filters.listener.original_dst',
  typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.original_dst.v3.OriginalDst' },
};

/** Writes a bootstrap file the proxy's uid can read; removed when the suite ends. */
async function writeBootstrap(json: object): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mizzen-capture-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await chmod(dir, 0o755);
  const config = join(dir, 'envoy.json');
  await writeFile(config, JSON.stringify(json), { mode: 0o644 });
  return config;
}

async function addNetns(netns: string): Promise<void> {
  await exec('ip', ['netns', 'add', netns]);
  cleanups.push(() => exec('ip', ['netns', 'del', netns]));
  await exec('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
}

function bootstrap(): object {
  return {
    static_resources: {
      listeners: [
        {
          name: 'virtualOutbound',
          address: { socket_address: { address: '0.0.0.0', port_value: 15001 } },
          use_original_dst: true,
          listener_filters: [originalDstFilter],
          traffic_direction: 'OUTBOUND',
          filter_chains: [],
          default_filter_chain: { filters: [tcpProxy('PassthroughCluster')] },
        },
        {
          name: `${peerIp}_8080`,
          address: { socket_address: { address: peerIp, port_value: 8080 } },
          bind_to_port: false,
          traffic_direction: 'OUTBOUND',
          filter_chains: [{
            filters: [{
              name: 'envoy.filters.network.http_connection_manager',
              typed_config: {
                '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                stat_prefix: `outbound_${peerIp}_8080`,
                route_config: {
                  name: 'peer',
                  virtual_hosts: [{
                    name: 'peer', domains: ['*'],
                    routes: [{ match: { prefix: '/' }, route: { cluster: 'outbound|8080||peer' } }],
                  }],
                  response_headers_to_add: [{ header: { key: 'x-listener', value: `${peerIp}_8080` } }],
                },
                http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
              },
            }],
          }],
        },
        {
          name: 'virtualInbound',
          address: { socket_address: { address: '0.0.0.0', port_value: 15006 } },
          listener_filters: [originalDstFilter],
          traffic_direction: 'INBOUND',
          filter_chains: [{ filter_chain_match: { destination_port: 8080 }, filters: [tcpProxy('inbound|8080||')] }],
        },
      ],
      clusters: [
        { name: 'PassthroughCluster', type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED', connect_timeout: '1s' },
        staticCluster('outbound|8080||peer', peerIp, 8080),
        staticCluster('inbound|8080||', '127.0.0.1', 8080),
      ],
    },
  };
}

describe('a sidecar behind iptables capture', { timeout: 30_000 }, () => {
  beforeAll(async () => {
    for (const netns of [pod, peer]) await addNetns(netns);
    await exec('ip', ['-n', pod, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', peer]);
    for (const [netns, ip] of [[pod, podIp], [peer, peerIp]]) {
      await exec('ip', ['-n', netns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
      await exec('ip', ['-n', netns, 'link', 'set', 'eth0', 'up']);
    }
    await exec('ip', ['netns', 'exec', pod, process.execPath, iptablesInit,
      '-p', '15001', '-z', '15006', '-u', '1337', '-m', 'REDIRECT', '-i', '*', '-b', '*']);

    const config = await writeBootstrap(bootstrap());
    await start(['netns', 'exec', peer, process.execPath, answerer, 'peer', '8080', '9999'], 'ready');
    await start(['netns', 'exec', pod, process.execPath, answerer, 'app', '8080'], 'ready');
    await start(['netns', 'exec', pod, 'setpriv', '--regid', '1337', '--clear-groups',
      process.execPath, mainTs, '-c', config], 'started with');
  }, 30_000);

  afterAll(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('hands an outbound connection to the listener of its original destination', async () => {
    const answer = await get(pod, `http://${peerIp}:8080/`);
    expect(answer.body).toBe('peer:8080');
    expect(answer.headers).toContain(`x-listener: ${peerIp}_8080`);
  });

  it('passes a connection with no listener of its own through to where it was going', async () => {
    const answer = await get(pod, `http://${peerIp}:9999/`);
    expect(answer.body).toBe('peer:9999');
    expect(answer.headers).not.toContain('x-listener');
  });

  it('matches an inbound connection on its original port and sends it to the app', async () => {
    const answer = await get(peer, `http://${podIp}:8080/`);
    expect(answer.body).toBe('app:8080');
  });
});

describe('a listener reading original destinations without capture rules', { timeout: 30_000 }, () => {
  // No NAT rules: conntrack knows nothing of a connection made straight to the port.
  const bare = `mzpx-${run}-bare`;
  beforeAll(async () => {
    await addNetns(bare);
    const config = await writeBootstrap({
      static_resources: {
        listeners: [{
          name: 'virtualInbound',
          address: { socket_address: { address: '127.0.0.1', port_value: 15006 } },
          listener_filters: [originalDstFilter],
          filter_chains: [{ filter_chain_match: { destination_port: 15006 }, filters: [tcpProxy('inbound|8080||')] }],
        }],
        clusters: [staticCluster('inbound|8080||', '127.0.0.1', 8080)],
      },
    });
    await start(['netns', 'exec', bare, process.execPath, answerer, 'app', '8080'], 'ready');
    await start(['netns', 'exec', bare, process.execPath, mainTs, '-c', config], 'started with');
  }, 30_000);

  afterAll(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('takes the local address as the destination of a connection that was not redirected', async () => {
    const answer = await get(bare, 'http://127.0.0.1:15006/');
    expect(answer.body).toBe('app:8080');
  });
});
