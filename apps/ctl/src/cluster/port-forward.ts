import { request } from 'node:http';
import type { Socket } from 'node:net';
import { Duplex, PassThrough, Writable } from 'node:stream';
import { PortForward } from '@kubernetes/client-node';
import type { Cluster } from './kube-connection.ts';

/** How long a pod has to answer through the tunnel. */
const requestTimeoutMs = 10_000;

/**
 * Sends a request (GET unless `method` says) for `path` to a port on the pod's own loopback, through the API server's port-forward
 * (a WebSocket the kubelet joins to the pod's network namespace), as istioctl reaches a
 * sidecar's admin API: the proxy binds it to 127.0.0.1, which the pods proxy subresource, going
 * to the pod's IP, cannot reach. One tunnel per request; no local port is opened.
 */
export async function portForwardRequest(cluster: Cluster, namespace: string, pod: string, port: number, path: string, method = 'GET'): Promise<{ status: number; text: string }> {
  const where = `pod ${pod}.${namespace} port ${port}`;
  const fromPod = new PassThrough();
  const toPod = new PassThrough();
  let failure = '';
  let fail: (error: Error) => void = () => undefined;
  // The kubelet reports a port it cannot reach on the tunnel's error channel.
  const errors = new Writable({
    write(chunk: Buffer, _encoding, done) {
      failure += chunk.toString('utf8');
      // The channel opens with its port number, which leaves an empty chunk here.
      if (failure.trim() !== '') fail(new Error(`${where}: ${failure.trim()}`));
      done();
    },
  });
  let socket;
  try {
    socket = await new PortForward(cluster.config, true).portForward(namespace, pod, [port], fromPod, errors, toPod);
  } catch (error) {
    throw new Error(`${where}: the API server refuses the port-forward (${describe(error)})`);
  }
  if (typeof socket === 'function') throw new Error(`${where}: no port-forward tunnel`);
  const tunnel = socket;
  tunnel.on('close', () => fromPod.end());
  const connection = Duplex.from({ readable: fromPod, writable: toPod });
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise((resolve, reject) => {
      fail = reject;
      timer = setTimeout(() => reject(new Error(`${where}: no answer to ${path} in ${requestTimeoutMs / 1000}s`)), requestTimeoutMs);
      const req = request({ method, path, headers: { host: `127.0.0.1:${port}`, connection: 'close' }, createConnection: () => connection as unknown as Socket }, (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
        response.on('error', reject);
      });
      req.on('error', (error) => reject(new Error(`${where}: ${failure.trim() || error.message}`)));
      req.end();
    });
  } finally {
    clearTimeout(timer);
    tunnel.close();
  }
}

/** A WebSocket error event carries its cause inside. */
function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && 'message' in error) return String(error.message);
  return String(error);
}
