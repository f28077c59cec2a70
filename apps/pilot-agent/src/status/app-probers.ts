import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { EnvironmentError } from '../bootstrap/pod-identity.ts';
import { grpcHealthProbe } from './grpc-health-probe.ts';

/** One rewritten probe, as the injector describes it in ISTIO_KUBE_APP_PROBERS. */
export type AppProbe =
  | { kind: 'http'; host: string; port: number; path: string; scheme: 'HTTP' | 'HTTPS'; headers: Record<string, string>; timeoutMs: number }
  | { kind: 'tcp'; host: string; port: number; timeoutMs: number }
  | { kind: 'grpc'; host: string; port: number; service: string; timeoutMs: number };

/** By the path the kubelet calls on the agent, e.g. "/app-health/reviews/readyz". */
export type AppProbers = ReadonlyMap<string, AppProbe>;

export interface ProbeResult {
  status: number;
  body: string;
}

const PROBE_PATH = /^\/app-health\/[^/]+\/(readyz|livez|startupz)$/;

/**
 * Reads ISTIO_KUBE_APP_PROBERS: `{"/app-health/NAME/readyz": {"httpGet": {...}, "timeoutSeconds": 1}, ...}`,
 * each an httpGet or tcpSocket as in the pod spec, with a numeric port (the injector resolves
 * named ports). Throws naming the path and field that are wrong.
 */
export function parseAppProbers(value: unknown): AppProbers {
  const probers = new Map<string, AppProbe>();
  if (value === undefined) return probers;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw fail('', 'must be a JSON object of probe paths');
  for (const [path, raw] of Object.entries(value as Record<string, unknown>)) {
    if (!PROBE_PATH.test(path)) throw fail(`["${path}"]`, 'a probe path is /app-health/CONTAINER/readyz, livez or startupz');
    probers.set(path, parseProbe(raw, `["${path}"]`));
  }
  return probers;
}

function parseProbe(raw: unknown, where: string): AppProbe {
  if (typeof raw !== 'object' || raw === null) throw fail(where, 'must be an object with httpGet or tcpSocket');
  const probe = raw as { httpGet?: Record<string, unknown>; tcpSocket?: Record<string, unknown>; grpc?: Record<string, unknown>; timeoutSeconds?: unknown };
  const timeoutSeconds = probe.timeoutSeconds ?? 1;
  if (typeof timeoutSeconds !== 'number' || !(timeoutSeconds > 0)) throw fail(`${where}.timeoutSeconds`, 'must be a positive number');
  const timeoutMs = timeoutSeconds * 1000;
  if (probe.httpGet) {
    const get = probe.httpGet;
    const scheme = get.scheme ?? 'HTTP';
    if (scheme !== 'HTTP' && scheme !== 'HTTPS') throw fail(`${where}.httpGet.scheme`, 'must be HTTP or HTTPS');
    const path = get.path ?? '/';
    if (typeof path !== 'string' || !path.startsWith('/')) throw fail(`${where}.httpGet.path`, 'must be a path starting with /');
    const headers: Record<string, string> = {};
    for (const [i, header] of (Array.isArray(get.httpHeaders) ? get.httpHeaders : []).entries()) {
      const { name, value } = (header ?? {}) as { name?: unknown; value?: unknown };
      if (typeof name !== 'string' || name === '' || typeof value !== 'string') throw fail(`${where}.httpGet.httpHeaders[${i}]`, 'needs a name and a string value');
      headers[name] = value;
    }
    return { kind: 'http', host: host(get.host, `${where}.httpGet.host`), port: port(get.port, `${where}.httpGet.port`), path, scheme, headers, timeoutMs };
  }
  if (probe.tcpSocket) {
    const socket = probe.tcpSocket;
    return { kind: 'tcp', host: host(socket.host, `${where}.tcpSocket.host`), port: port(socket.port, `${where}.tcpSocket.port`), timeoutMs };
  }
  if (probe.grpc) {
    const service = probe.grpc.service ?? '';
    if (typeof service !== 'string') throw fail(`${where}.grpc.service`, 'must be a string');
    return { kind: 'grpc', host: '127.0.0.1', port: port(probe.grpc.port, `${where}.grpc.port`), service, timeoutMs };
  }
  throw fail(where, 'needs httpGet, tcpSocket or grpc');
}

function host(value: unknown, where: string): string {
  if (value === undefined || value === '') return '127.0.0.1';
  if (typeof value !== 'string') throw fail(where, 'must be a string');
  return value;
}

function port(value: unknown, where: string): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 65535) throw fail(where, `${JSON.stringify(value)} is not a port number (named ports must be resolved by the injector)`);
  return n;
}

function fail(path: string, reason: string): EnvironmentError {
  return new EnvironmentError(`environment variable ISTIO_KUBE_APP_PROBERS${path}: ${reason}`);
}

/** Runs a probe against the app. Success (2xx or 3xx, or a connection) is 200; the app's own
 *  failing status is passed on; no answer is 500. */
export function runAppProbe(probe: AppProbe): Promise<ProbeResult> {
  if (probe.kind === 'grpc') return grpcHealthProbe(probe);
  return probe.kind === 'http' ? httpProbe(probe) : tcpProbe(probe);
}

function httpProbe(probe: Extract<AppProbe, { kind: 'http' }>): Promise<ProbeResult> {
  const where = `${probe.scheme.toLowerCase()}://${probe.host}:${probe.port}${probe.path}`;
  return new Promise((resolve) => {
    const send = probe.scheme === 'HTTPS' ? httpsRequest : httpRequest;
    // As the kubelet, an HTTPS probe does not check the app's certificate.
    const req = send({ host: probe.host, port: probe.port, path: probe.path, headers: { 'user-agent': 'kube-probe/1.0', ...probe.headers }, timeout: probe.timeoutMs, rejectUnauthorized: false }, (res) => {
      res.resume();
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        resolve(status >= 200 && status < 400 ? { status: 200, body: `${where} answered ${status}\n` } : { status: status >= 400 ? status : 500, body: `${where} answered ${status}\n` });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${probe.timeoutMs} ms`)));
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ status: 500, body: `${where} failed: ${error.code ?? error.message}\n` }));
    req.end();
  });
}

function tcpProbe(probe: Extract<AppProbe, { kind: 'tcp' }>): Promise<ProbeResult> {
  const where = `tcp ${probe.host}:${probe.port}`;
  return new Promise((resolve) => {
    const socket = connect({ host: probe.host, port: probe.port, timeout: probe.timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve({ status: 200, body: `${where} accepted a connection\n` });
    });
    socket.once('timeout', () => socket.destroy(new Error(`no connection within ${probe.timeoutMs} ms`)));
    socket.once('error', (error: NodeJS.ErrnoException) => resolve({ status: 500, body: `${where} failed: ${error.code ?? error.message}\n` }));
  });
}
