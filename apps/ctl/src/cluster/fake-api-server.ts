import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { get, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { WebSocketServer, type WebSocket } from 'ws';
import { selectorMatches } from './label-selector.ts';

/** A port of a pod, served in the test by a real server on the host's loopback. `podIp` says
 *  whether the port listens on the pod's IP (the proxy subresource reaches it) or only on the
 *  pod's loopback (only a port-forward does), as a sidecar's admin API. */
export interface PodPort {
  namespace: string;
  pod: string;
  port: number;
  target: number;
  podIp: boolean;
}

export interface FakeApiServer {
  url: string;
  /** A kubeconfig naming this server, its CA, its token and `contexts` (the first current),
   *  each with `namespace` when given. */
  kubeconfig: (contexts?: string[], namespace?: string) => Promise<string>;
  /** The folder holding the server's certificate and the kubeconfigs. */
  dir: string;
  /** Every request path it answered, in order. */
  requests: string[];
  close: () => Promise<void>;
}

const token = 'test-token';

/**
 * Answers the API paths the commands use as the API server does (with the kubelet behind it):
 * a pod by name, the list of any kind of `objects` (by namespace or in all, with equality
 * label selectors; an empty list for a kind it has none of), the pods proxy
 * subresource `pods/NAME:PORT/proxy/PATH`, and port-forward over WebSocket in the
 * `v4.channel.k8s.io` protocol (each channel opens with its port; channel 0 data, channel 1
 * errors). Over HTTPS with a certificate of its own, as an API server; anything without the
 * bearer token is 401.
 */
export async function startFakeApiServer(objects: Record<string, unknown>[], ports: PodPort[]): Promise<FakeApiServer> {
  const dir = await mkdtemp(join(tmpdir(), 'mizzenctl-kube-'));
  const certificate = await selfSignedCertificate(dir);
  const requests: string[] = [];
  const server = createServer(certificate, (req, res) => {
    requests.push(req.url ?? '');
    if (req.headers.authorization !== `Bearer ${token}`) return status(res, 401, 'Unauthorized');
    answer(req, res, objects, ports);
  });
  const sockets = new WebSocketServer({ noServer: true, handleProtocols: (offered) => (offered.has('v4.channel.k8s.io') ? 'v4.channel.k8s.io' : false) });
  server.on('upgrade', (req, socket, head) => {
    requests.push(req.url ?? '');
    const match = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/portforward\?ports=(\d+)$/.exec(req.url ?? '');
    if (req.headers.authorization !== `Bearer ${token}` || !match) {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(req, socket, head, (ws) => forward(ws, ports, match[1], match[2], Number(match[3])));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let kubeconfigs = 0;
  return {
    url,
    requests,
    dir,
    kubeconfig: async (contexts = ['test'], namespace?: string) => {
      const file = join(dir, `config-${++kubeconfigs}`);
      const text = [
        'apiVersion: v1',
        'kind: Config',
        `current-context: ${contexts[0]}`,
        'clusters:',
        `- name: fake`,
        `  cluster: { server: "${url}", certificate-authority-data: ${Buffer.from(certificate.cert).toString('base64')} }`,
        'users:',
        `- name: tester`,
        `  user: { token: ${token} }`,
        'contexts:',
        ...contexts.map((name) => `- name: ${name}\n  context: { cluster: fake, user: tester${namespace ? `, namespace: ${namespace}` : ''} }`),
      ].join('\n');
      await writeFile(file, `${text}\n`);
      return file;
    },
    close: async () => {
      for (const client of sockets.clients) client.terminate();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function answer(req: IncomingMessage, res: ServerResponse, objects: Record<string, unknown>[], ports: PodPort[]): void {
  const url = new URL(req.url ?? '/', 'http://api');
  const proxy = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/:]+):(\d+)\/proxy(\/.*)$/.exec(url.pathname);
  if (proxy) {
    const [, namespace, pod, port, path] = proxy;
    const target = ports.find((p) => p.namespace === namespace && p.pod === pod && p.port === Number(port) && p.podIp);
    // The API server dials the pod's IP: a port bound to the pod's loopback refuses.
    if (!target) return status(res, 503, `error trying to reach service: dial tcp 10.0.0.1:${port}: connect: connection refused`);
    get({ host: '127.0.0.1', port: target.target, path: `${path}${url.search}` }, (upstream) => {
      res.writeHead(upstream.statusCode ?? 502, { 'content-type': upstream.headers['content-type'] ?? 'text/plain' });
      upstream.pipe(res);
    }).on('error', (error) => status(res, 503, error.message));
    return;
  }
  const one = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/.exec(url.pathname);
  if (one) {
    const pod = objects.find((o) => o.kind === 'Pod' && meta(o).namespace === one[1] && meta(o).name === one[2]);
    if (!pod) return status(res, 404, `pods "${one[2]}" not found`);
    return json(res, 200, pod);
  }
  const list = /^\/(?:api\/(v1)|apis\/([^/]+\/[^/]+))(?:\/namespaces\/([^/]+))?\/([a-z]+)$/.exec(url.pathname);
  if (list) {
    const [, core, group, namespace, plural] = list;
    const selector = url.searchParams.get('labelSelector') ?? '';
    const items = objects
      .filter((o) => o.apiVersion === (core ?? group) && `${String(o.kind).toLowerCase()}s` === plural)
      .filter((o) => (namespace === undefined || meta(o).namespace === namespace) && selectorMatches(selector, meta(o).labels ?? {}))
      // A list's items carry no kind of their own.
      .map((o) => Object.fromEntries(Object.entries(o).filter(([key]) => key !== 'kind' && key !== 'apiVersion')));
    return json(res, 200, { kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items });
  }
  status(res, 404, `the server could not find the requested resource (${url.pathname})`);
}

function meta(pod: Record<string, unknown>): { name: string; namespace: string; labels?: Record<string, string> } {
  return pod.metadata as { name: string; namespace: string; labels?: Record<string, string> };
}

function forward(ws: WebSocket, ports: PodPort[], namespace: string, pod: string, port: number): void {
  const header = (channel: number) => Buffer.from([channel, port & 0xff, port >> 8]);
  ws.send(header(0));
  ws.send(header(1));
  const target = ports.find((p) => p.namespace === namespace && p.pod === pod && p.port === port);
  if (!target) {
    ws.send(Buffer.concat([Buffer.from([1]), Buffer.from(`error forwarding port ${port} to pod ${pod}: connection refused`)]));
    return;
  }
  const socket = connect(target.target, '127.0.0.1');
  ws.on('message', (data: Buffer) => {
    if (data[0] === 0) socket.write(data.subarray(1));
  });
  ws.on('close', () => socket.destroy());
  socket.on('data', (chunk) => ws.send(Buffer.concat([Buffer.from([0]), chunk])));
  socket.on('end', () => ws.close());
  socket.on('error', (error) => ws.send(Buffer.concat([Buffer.from([1]), Buffer.from(error.message)])));
}

async function selfSignedCertificate(dir: string): Promise<{ cert: string; key: string }> {
  const [certFile, keyFile] = [join(dir, 'api.crt'), join(dir, 'api.key')];
  await promisify(execFile)('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-keyout', keyFile, '-out', certFile,
    '-subj', '/CN=kube-apiserver', '-addext', 'subjectAltName=IP:127.0.0.1',
  ]);
  return { cert: await readFile(certFile, 'utf8'), key: await readFile(keyFile, 'utf8') };
}

function json(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function status(res: ServerResponse, code: number, message: string): void {
  json(res, code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message, code });
}

/** A Pod as the API server returns it. */
export function podObject(name: string, namespace: string, labels: Record<string, string>, ip: string, containers = ['app', 'istio-proxy']): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels },
    spec: { containers: containers.map((container) => ({ name: container, image: `${container}:1` })) },
    status: { phase: 'Running', podIP: ip },
  };
}
