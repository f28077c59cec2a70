import type { KubeContainer, Probe } from './kube-shapes.ts';

/** What the agent runs on the kubelet's behalf for one rewritten probe (the original check,
 *  with a named port resolved to its number). */
export interface AppProber {
  httpGet?: Record<string, unknown>;
  tcpSocket?: Record<string, unknown>;
  grpc?: Record<string, unknown>;
  timeoutSeconds?: number;
}

export interface RewrittenProbes {
  containers: KubeContainer[];
  /** By path (`/app-health/CONTAINER/readyz`), for ISTIO_KUBE_APP_PROBERS. */
  probers: Record<string, AppProber>;
}

const PROBE_KINDS = [
  ['readinessProbe', 'readyz'],
  ['livenessProbe', 'livez'],
  ['startupProbe', 'startupz'],
] as const;

/**
 * With mutual TLS the kubelet's plain probes would be refused by the sidecar, so, as Istio
 * does, each HTTP, TCP or gRPC probe of an app container is sent to the agent on the status
 * port (`/app-health/CONTAINER/readyz|livez|startupz`), which runs the original check from
 * inside the pod. Exec probes need no network and stay as they are.
 */
export function rewriteAppProbes(containers: KubeContainer[], statusPort: number): RewrittenProbes {
  const probers: Record<string, AppProber> = {};
  const rewritten = containers.map((container) => {
    const result: KubeContainer = { ...container };
    for (const [field, suffix] of PROBE_KINDS) {
      const probe = container[field];
      if (probe === undefined) continue;
      const path = `/app-health/${container.name}/${suffix}`;
      const prober = appProber(probe, container);
      if (prober === undefined) continue;
      probers[path] = prober;
      result[field] = redirectedProbe(probe, path, statusPort);
    }
    return result;
  });
  return { containers: rewritten, probers: sortedByKey(probers) };
}

function appProber(probe: Probe, container: KubeContainer): AppProber | undefined {
  const timeout = probe.timeoutSeconds !== undefined ? { timeoutSeconds: probe.timeoutSeconds } : {};
  if (probe.httpGet) return { httpGet: { ...probe.httpGet, port: resolvePort(probe.httpGet.port, container) }, ...timeout };
  if (probe.tcpSocket) return { tcpSocket: { ...probe.tcpSocket, port: resolvePort(probe.tcpSocket.port, container) }, ...timeout };
  if (probe.grpc) return { grpc: { ...probe.grpc }, ...timeout };
  return undefined;
}

/** The kubelet now asks the agent over plain HTTP; the agent speaks HTTPS to the app if the
 *  original probe did. Timing and thresholds stay the pod's own. */
function redirectedProbe(probe: Probe, path: string, statusPort: number): Probe {
  const { httpGet, tcpSocket: _tcp, grpc: _grpc, ...timing } = probe;
  const kept = httpGet ? { ...httpGet, scheme: httpGet.scheme === 'HTTPS' ? 'HTTP' : httpGet.scheme } : {};
  const redirected: Probe = { ...timing, httpGet: { ...kept, path, port: statusPort } };
  if (redirected.httpGet?.scheme === undefined) delete redirected.httpGet?.scheme;
  return redirected;
}

/** A named port is looked up among the container's ports; unknown names stay as written, as
 *  the kubelet would then fail the probe the same way. */
function resolvePort(port: number | string, container: KubeContainer): number | string {
  if (typeof port === 'number' || /^\d+$/.test(port)) return Number(port);
  return container.ports?.find((p) => p.name === port)?.containerPort ?? port;
}

function sortedByKey<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
