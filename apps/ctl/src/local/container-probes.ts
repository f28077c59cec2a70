import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { asUser } from './pod-sandbox.ts';

// The kubelet's probes of a container, as a local mesh runs them: an httpGet or tcpSocket
// from the host to the pod's address (the injector has turned an app's HTTP, TCP and gRPC
// probes into httpGet on the agent's port 15020, which runs the original check inside the
// pod), an exec inside the pod's namespace as the container's user. With the kubelet's
// timings and thresholds: a startup probe first, then readiness and liveness; a container is
// ready after successThreshold passes in a row and not after failureThreshold failures; a
// liveness or startup probe that fails failureThreshold times in a row restarts it.

export type ProbeKind = 'startup' | 'readiness' | 'liveness';

export interface ProbeTimings {
  initialDelayMs: number;
  periodMs: number;
  timeoutMs: number;
  successThreshold: number;
  failureThreshold: number;
}

export interface ProbeResult {
  ok: boolean;
  /** What was seen: the status, the connection error, the command's exit. */
  detail: string;
}

/** One check of a container: runs the probe's action once. */
export type ProbeCheck = () => Promise<ProbeResult>;

/** A probe as the pod spec writes it. */
export interface ProbeSpec {
  httpGet?: { path?: string; port?: number | string; host?: string; scheme?: string; httpHeaders?: { name: string; value: string }[] };
  tcpSocket?: { port?: number | string; host?: string };
  exec?: { command?: string[] };
  grpc?: unknown;
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
}

/** Where the container runs, for the probe's action. */
export interface ProbeTarget {
  podIP: string;
  netns: string;
  user?: { uid: number; gid: number };
  /** The container's named ports, for a probe that names its port. */
  ports: { name?: string; containerPort: number }[];
}

/** The kubelet's defaults for what the spec leaves out. */
export function probeTimings(spec: ProbeSpec, where: string): ProbeTimings {
  const field = (name: keyof ProbeSpec, fallback: number, min: number): number => {
    const value = spec[name] ?? fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) throw new Error(`${where}.${name}: must be a whole number of at least ${min}, got ${JSON.stringify(value)}`);
    return value;
  };
  return {
    initialDelayMs: field('initialDelaySeconds', 0, 0) * 1000,
    periodMs: field('periodSeconds', 10, 1) * 1000,
    timeoutMs: field('timeoutSeconds', 1, 1) * 1000,
    successThreshold: field('successThreshold', 1, 1),
    failureThreshold: field('failureThreshold', 3, 1),
  };
}

/** The probe's action against the container; throws naming the field when it cannot run. */
export function probeCheck(spec: ProbeSpec, target: ProbeTarget, timeoutMs: number, where: string): ProbeCheck {
  const port = (value: number | string | undefined, field: string): number => {
    if (typeof value === 'number' && Number.isInteger(value) && value > 0 && value < 65536) return value;
    const named = target.ports.find((p) => p.name !== undefined && p.name === value);
    if (named) return named.containerPort;
    throw new Error(`${where}.${field}: ${JSON.stringify(value)} is neither a port number nor the name of one of the container's ports`);
  };
  if (spec.httpGet) {
    const get = spec.httpGet;
    const scheme = get.scheme ?? 'HTTP';
    if (scheme !== 'HTTP' && scheme !== 'HTTPS') throw new Error(`${where}.httpGet.scheme: must be HTTP or HTTPS, got ${JSON.stringify(scheme)}`);
    const options = { host: get.host ?? target.podIP, port: port(get.port, 'httpGet.port'), path: get.path ?? '/', headers: Object.fromEntries((get.httpHeaders ?? []).map((h) => [h.name, h.value])) };
    return () => httpCheck(scheme, options, timeoutMs);
  }
  if (spec.tcpSocket) {
    const options = { host: spec.tcpSocket.host ?? target.podIP, port: port(spec.tcpSocket.port, 'tcpSocket.port') };
    return () => tcpCheck(options.host, options.port, timeoutMs);
  }
  if (spec.exec) {
    const command = spec.exec.command;
    if (!Array.isArray(command) || command.length === 0 || !command.every((c) => typeof c === 'string')) throw new Error(`${where}.exec.command: must be a non-empty list of strings`);
    return () => execCheck(target.netns, asUser(target.user, command), command.join(' '), timeoutMs);
  }
  if (spec.grpc) throw new Error(`${where}.grpc: runs only through the sidecar (the injector rewrites it); this pod has none`);
  throw new Error(`${where}: needs httpGet, tcpSocket or exec`);
}

/** As the kubelet: a status from 200 to 399 passes; redirects are not followed. */
function httpCheck(scheme: 'HTTP' | 'HTTPS', options: { host: string; port: number; path: string; headers: Record<string, string> }, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const send = scheme === 'HTTPS' ? httpsRequest : httpRequest;
    // The kubelet does not check the app's certificate.
    const request = send({ ...options, method: 'GET', timeout: timeoutMs, headers: { 'user-agent': 'kube-probe/mizzen', ...options.headers }, ...(scheme === 'HTTPS' ? { rejectUnauthorized: false } : {}) }, (response) => {
      response.resume();
      const status = response.statusCode ?? 0;
      response.on('end', () => resolve({ ok: status >= 200 && status < 400, detail: `HTTP ${status} from ${options.path}` }));
      response.on('error', (error) => resolve({ ok: false, detail: error.message }));
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', (error) => resolve({ ok: false, detail: `GET ${options.path}: ${error.message}` }));
    request.end();
  });
}

function tcpCheck(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    const done = (result: ProbeResult): void => {
      socket.destroy();
      resolve(result);
    };
    socket.on('connect', () => done({ ok: true, detail: `port ${port} accepts` }));
    socket.on('timeout', () => done({ ok: false, detail: `port ${port}: no connection within ${timeoutMs} ms` }));
    socket.on('error', (error) => done({ ok: false, detail: `port ${port}: ${error.message}` }));
  });
}

function execCheck(netns: string, argv: string[], command: string, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const child = spawn('ip', ['netns', 'exec', netns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.on('error', (error) => resolve({ ok: false, detail: `${command}: ${error.message}` }));
    child.on('close', (code, signal) => {
      const said = output.trim().split('\n').slice(-1)[0] ?? '';
      if (signal) resolve({ ok: false, detail: `${command}: no exit within ${timeoutMs} ms` });
      else resolve({ ok: code === 0, detail: `exit code ${code}${said ? `: ${said.slice(0, 200)}` : ''}` });
    });
  });
}

/** Consecutive results of a probe, and whether it passes now. */
export interface ProbeState {
  passing: boolean;
  successes: number;
  failures: number;
}

/** The kubelet's thresholds: a probe passes after successThreshold passes in a row, fails
 *  after failureThreshold failures in a row, and otherwise keeps its state. */
export function nextProbeState(state: ProbeState, ok: boolean, timings: ProbeTimings): ProbeState {
  const successes = ok ? state.successes + 1 : 0;
  const failures = ok ? 0 : state.failures + 1;
  const passing = ok ? state.passing || successes >= timings.successThreshold : state.passing && failures < timings.failureThreshold;
  return { passing, successes, failures };
}

export interface ContainerProbesOptions {
  probes: Partial<Record<ProbeKind, { check: ProbeCheck; timings: ProbeTimings }>>;
  /** Readiness changed: ready, and the last result's detail. */
  onReadiness: (ready: boolean, detail: string) => void;
  /** The liveness or startup probe gave up: the container is to be restarted. */
  onFailure: (kind: 'startup' | 'liveness', detail: string) => void;
}

/** Runs one container's probes from its start until stopped (a restarted container gets a new
 *  set). Without a readiness probe a container is ready once its startup probe passes. */
export class ContainerProbes {
  readonly #options: ContainerProbesOptions;
  readonly #timers = new Set<NodeJS.Timeout>();
  #stopped = false;
  #ready = false;

  constructor(options: ContainerProbesOptions) {
    this.#options = options;
    const { startup } = options.probes;
    if (startup) this.#run('startup', startup, () => this.#afterStartup());
    else this.#afterStartup();
  }

  get ready(): boolean {
    return this.#ready;
  }

  stop(): void {
    this.#stopped = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  #afterStartup(): void {
    const { readiness, liveness } = this.#options.probes;
    if (liveness) this.#run('liveness', liveness);
    if (readiness) this.#run('readiness', readiness);
    else this.#setReady(true, 'no readiness probe');
  }

  #setReady(ready: boolean, detail: string): void {
    if (ready === this.#ready) return;
    this.#ready = ready;
    this.#options.onReadiness(ready, detail);
  }

  /** Probes every period; `passed` runs once, the first time the probe passes (startup). */
  #run(kind: ProbeKind, probe: { check: ProbeCheck; timings: ProbeTimings }, passed?: () => void): void {
    let state: ProbeState = { passing: false, successes: 0, failures: 0 };
    const tick = async (): Promise<void> => {
      if (this.#stopped) return;
      const result = await probe.check();
      if (this.#stopped) return;
      state = nextProbeState(state, result.ok, probe.timings);
      if (kind === 'readiness') this.#setReady(state.passing, result.detail);
      if (kind === 'startup' && state.passing) return passed?.();
      // Liveness starts out passing: only failures in a row count against it.
      if ((kind === 'liveness' || kind === 'startup') && state.failures >= probe.timings.failureThreshold) {
        this.#options.onFailure(kind, result.detail);
        return;
      }
      this.#after(probe.timings.periodMs, tick);
    };
    this.#after(probe.timings.initialDelayMs, tick);
  }

  #after(ms: number, run: () => Promise<void>): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      void run();
    }, ms);
    this.#timers.add(timer);
  }
}

/** A container's probes as the pod spec gives them, ready to run; throws naming the first
 *  probe that cannot run here. */
export function probesOf(container: { readinessProbe?: unknown; livenessProbe?: unknown; startupProbe?: unknown }, target: ProbeTarget, where: string): ContainerProbesOptions['probes'] {
  const probes: ContainerProbesOptions['probes'] = {};
  const fields = [
    ['startup', 'startupProbe'],
    ['readiness', 'readinessProbe'],
    ['liveness', 'livenessProbe'],
  ] as const;
  for (const [kind, field] of fields) {
    const spec = container[field];
    if (spec === undefined) continue;
    if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw new Error(`${where}.${field}: must be an object`);
    const timings = probeTimings(spec as ProbeSpec, `${where}.${field}`);
    probes[kind] = { timings, check: probeCheck(spec as ProbeSpec, target, timings.timeoutMs, `${where}.${field}`) };
  }
  return probes;
}
