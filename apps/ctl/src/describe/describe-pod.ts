import type { DestinationRule, HTTPMatchRequest, HTTPRoute, KubeObject, Pod, Service, ServicePort, VirtualService } from '@mizzen/config';
import { fullHostName } from '../analyze/host-names.ts';

/** Istio's root namespace: mesh-wide policies live there. */
const ROOT_NAMESPACE = 'istio-system';
const RULE = '--------------------';

/**
 * istioctl's `x describe pod`, from config objects alone: the pod, each Service selecting it
 * with its ports, the DestinationRule for the service (the subsets the pod is in, its traffic
 * policy), the VirtualServices routing to it and which of their routes reach this pod, the
 * ingress routes exposing it, and the PeerAuthentication and AuthorizationPolicy that apply.
 * Returns the lines to print.
 */
export function describePod(pod: Pod, objects: readonly KubeObject[]): string[] {
  const namespace = pod.metadata.namespace ?? 'default';
  const labels = pod.metadata.labels ?? {};
  const lines = podHeader(pod);
  const services = objects.filter((o): o is Service => o.kind === 'Service' && ns(o) === namespace && selects((o as Service).spec?.selector, labels));
  if (services.length === 0) lines.push(`Suggestion: no Service in namespace ${namespace} selects this pod's labels (${renderLabels(labels)}).`);
  const virtualServices = objects.filter((o): o is VirtualService => o.kind === 'VirtualService');
  const exposures: string[] = [];
  for (const service of services) {
    const host = `${service.metadata.name}.${namespace}.svc.cluster.local`;
    lines.push(RULE, `Service: ${kname(service)}`);
    for (const port of service.spec.ports ?? []) lines.push(`   Port: ${port.name ?? ''} ${port.port}/${protocolOf(port)} targets pod port ${targetPort(port, pod)}`.replace('Port:  ', 'Port: '));
    const rule = objects.find((o): o is DestinationRule => o.kind === 'DestinationRule' && fullHostName((o as DestinationRule).spec.host, ns(o)) === host);
    const subsets = rule ? splitSubsets(rule, labels) : { matching: [], other: [] };
    if (rule) lines.push(...describeDestinationRule(rule, subsets));
    for (const vs of virtualServices) {
      if (!vs.spec.hosts?.some((h) => fullHostName(h, ns(vs)) === host)) continue;
      const gateways = vs.spec.gateways ?? ['mesh'];
      if (gateways.includes('mesh')) lines.push(...describeVirtualService(vs, host, subsets, rule));
    }
    for (const vs of virtualServices) {
      const gateways = (vs.spec.gateways ?? []).filter((g) => g !== 'mesh');
      if (gateways.length === 0) continue;
      const paths = exposedPaths(vs, host, subsets);
      if (paths.length > 0) exposures.push(`Exposed on Ingress Gateway ${gateways.join(', ')}`, `VirtualService: ${kname(vs)}`, `   ${paths.join(', ')}`);
    }
  }
  lines.push(RULE, ...describePolicies(objects, namespace, labels));
  lines.push(...exposures);
  return lines;
}

function podHeader(pod: Pod): string[] {
  const lines = [`Pod: ${pod.metadata.name}`];
  const annotations = pod.metadata.annotations ?? {};
  const status = parseStatus(annotations['sidecar.istio.io/status']);
  const revision = status?.revision ?? annotations['istio.io/rev'] ?? pod.metadata.labels?.['istio.io/rev'];
  if (revision) lines.push(`   Pod Revision: ${revision}`);
  const ports = pod.spec.containers.flatMap((c) => (c.ports ?? []).map((p) => `${p.containerPort} (${c.name})`));
  if (ports.length > 0) lines.push(`   Pod Ports: ${ports.join(', ')}`);
  const hasSidecar = pod.spec.containers.some((c) => c.name === 'istio-proxy') || status !== undefined;
  // A Deployment's template stands for pods that get their sidecar when they are made.
  if (!hasSidecar && pod.status !== undefined) lines.push(`   WARNING: ${pod.metadata.name} is not part of mesh; no Istio sidecar`);
  return lines;
}

function parseStatus(text: string | undefined): { revision?: string } | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as { revision?: string };
  } catch {
    return {};
  }
}

interface Subsets {
  matching: string[];
  other: string[];
}

function splitSubsets(rule: DestinationRule, labels: Record<string, string>): Subsets {
  const subsets = rule.spec.subsets ?? [];
  return {
    // A subset without labels is every pod of the service.
    matching: subsets.filter((s) => hasLabels(s.labels ?? {}, labels)).map((s) => s.name),
    other: subsets.filter((s) => !hasLabels(s.labels ?? {}, labels)).map((s) => s.name),
  };
}

function describeDestinationRule(rule: DestinationRule, subsets: Subsets): string[] {
  const lines = [`DestinationRule: ${kname(rule)} for "${rule.spec.host}"`];
  if (subsets.matching.length > 0 || subsets.other.length > 0) {
    if (subsets.matching.length === 0) lines.push(`  WARNING POD DOES NOT MATCH ANY SUBSETS.  (Non matching subsets ${subsets.other.join(',')})`);
    lines.push(`   Matching subsets: ${subsets.matching.join(',')}`);
    if (subsets.other.length > 0) lines.push(`      (Non-matching subsets ${subsets.other.join(',')})`);
  }
  // The subset the pod is in may carry its own policy, which overrides the rule's.
  const subsetPolicies = (rule.spec.subsets ?? []).filter((s) => subsets.matching.includes(s.name) && s.trafficPolicy);
  const policy = rule.spec.trafficPolicy;
  if (!policy && subsetPolicies.length === 0) {
    lines.push('   No Traffic Policy');
    return lines;
  }
  if (policy?.tls?.mode) lines.push(`   Traffic Policy TLS Mode: ${policy.tls.mode}`);
  const short = shortPolicies(policy);
  if (short) lines.push(`   Policies: ${short}`);
  for (const subset of subsetPolicies) lines.push(`   Subset ${subset.name} Policies: ${shortPolicies(subset.trafficPolicy) || 'none'}`);
  return lines;
}

function shortPolicies(policy: DestinationRule['spec']['trafficPolicy']): string {
  if (!policy) return '';
  const parts: string[] = [];
  if (policy.loadBalancer) parts.push(`load balancer ${policy.loadBalancer.simple ?? (policy.loadBalancer.consistentHash ? 'consistent hash' : '')}`.trim());
  if (policy.connectionPool) parts.push('connection pool');
  if (policy.outlierDetection) parts.push('outlier detection');
  if (policy.portLevelSettings?.length) parts.push('port level settings');
  return parts.join('/');
}

function describeVirtualService(vs: VirtualService, host: string, subsets: Subsets, rule: DestinationRule | undefined): string[] {
  const lines = [`VirtualService: ${kname(vs)}`];
  const http = vs.spec.http ?? [];
  const tcp = vs.spec.tcp ?? [];
  let matches = 0;
  let facts = 0;
  const notes: string[] = [];
  for (const route of http) {
    const result = httpRouteReaches(vs, route, host, subsets, rule);
    if (result.reaches) {
      matches++;
      facts += result.facts.length;
      lines.push(...result.facts.map((f) => `   ${f}`));
    } else notes.push(...result.facts);
  }
  for (const route of tcp) {
    const reaching = (route.route ?? []).filter((d) => fullHostName(d.destination.host, ns(vs)) === host && (!d.destination.subset || subsets.matching.includes(d.destination.subset)));
    if (reaching.length > 0) {
      matches++;
      for (const d of reaching) {
        if (d.weight === undefined || d.weight >= 100) continue;
        lines.push(`   Weight ${d.weight}%`);
        facts++;
      }
    } else notes.push(`Route to non-matching subset${(route.route ?? []).map((d) => ` ${d.destination.subset ?? d.destination.host}`).join(',')} for (TCP)`);
  }
  const possible = http.length + tcp.length;
  if (matches === 0) {
    if (http.length > 0) lines.push(`   WARNING: No destinations match pod subsets (checked ${http.length} HTTP routes)`);
    if (tcp.length > 0) lines.push(`   WARNING: No destinations match pod subsets (checked ${tcp.length} TCP routes)`);
    lines.push(...notes.map((n) => `      ${n}`));
    return lines;
  }
  if (matches < possible) {
    // An earlier route may take the traffic first, so this cannot say it surely arrives.
    lines.push(`   ${possible - matches} additional destination(s) that will not reach this pod`);
    if (facts === 0) lines.push(...notes.map((n) => `      ${n}`));
    return lines;
  }
  if (facts === 0) lines.push(`   ${http.length} HTTP route(s)`);
  return lines;
}

function httpRouteReaches(vs: VirtualService, route: HTTPRoute, host: string, subsets: Subsets, rule: DestinationRule | undefined): { reaches: boolean; facts: string[] } {
  const facts: string[] = [];
  const notes: string[] = [];
  let reaches = false;
  for (const destination of route.route ?? []) {
    if (fullHostName(destination.destination.host, ns(vs)) !== host) continue;
    const subset = destination.destination.subset;
    if (subset) {
      if (subsets.other.includes(subset)) {
        notes.push(`Route to non-matching subset ${subset} for (${renderMatches(route.match)})`);
        continue;
      }
      if (!subsets.matching.includes(subset)) {
        notes.push(rule ? `Warning: Route to UNKNOWN subset ${subset}; check DestinationRule ${kname(rule)}` : `Warning: Route to subset ${subset} but NO DESTINATION RULE defining subsets!`);
        continue;
      }
    }
    reaches = true;
    if (destination.weight !== undefined && destination.weight < 100) facts.push(`Weight ${destination.weight}%`);
    if (route.match?.length) facts.push(`Route to ${subset ? `subset ${subset}` : `host ${destination.destination.host}`} for (${renderMatches(route.match)})`);
  }
  if (reaches && route.fault) facts.push(`Fault injection: ${renderFault(route.fault)}`);
  if (reaches && route.timeout) facts.push(`Timeout: ${route.timeout}`);
  if (reaches && route.mirror) facts.push(`Mirrored to ${route.mirror.host}${route.mirror.subset ? ` subset ${route.mirror.subset}` : ''}`);
  return { reaches, facts: reaches ? facts : notes };
}

function renderFault(fault: NonNullable<HTTPRoute['fault']>): string {
  const parts: string[] = [];
  if (fault.delay) parts.push(`delay ${fault.delay.fixedDelay ?? fault.delay.exponentialDelay ?? ''} (${fault.delay.percentage?.value ?? fault.delay.percent ?? 100}%)`);
  if (fault.abort) parts.push(`abort ${fault.abort.httpStatus ?? fault.abort.grpcStatus ?? fault.abort.http2Error ?? ''} (${fault.abort.percentage?.value ?? 100}%)`);
  return parts.join(', ');
}

/** As istioctl words them: `/productpage`, `/static*`, `when headers are end-user=jason`. */
export function renderMatches(matches: HTTPMatchRequest[] | undefined): string {
  if (!matches || matches.length === 0) return 'everything';
  const rendered = matches.map(renderMatch);
  return rendered.length === 1 ? rendered[0] : rendered.join(', ');
}

function renderMatch(match: HTTPMatchRequest): string {
  let text = '';
  if (match.uri) text += renderStringMatch(match.uri) + (match.ignoreUriCase ? ' uncased' : '');
  const headers = Object.entries(match.headers ?? {});
  if (headers.length > 0) text += ` when headers are ${headers.map(([name, value]) => `${name}=${renderStringMatch(value)}`).join('; ')}`;
  return text.trim();
}

function renderStringMatch(match: { exact?: string; prefix?: string; regex?: string }): string {
  if (match.exact !== undefined) return match.exact;
  if (match.prefix !== undefined) return `${match.prefix}*`;
  return `regex ${match.regex ?? ''}`;
}

/** The URIs a gateway-bound VirtualService sends to this pod's service (and subset). */
function exposedPaths(vs: VirtualService, host: string, subsets: Subsets): string[] {
  return (vs.spec.http ?? [])
    .filter((route) => (route.route ?? []).some((d) => fullHostName(d.destination.host, ns(vs)) === host && (!d.destination.subset || subsets.matching.includes(d.destination.subset))))
    .flatMap((route) => (route.match?.length ? route.match.map((m) => (m.uri ? renderStringMatch(m.uri) : renderMatch(m) || '/*')) : ['/*']));
}

/** The mTLS mode in force (the workload's PeerAuthentication, else its namespace's, else the
 *  mesh's, else PERMISSIVE) and the policies that apply to the pod. */
function describePolicies(objects: readonly KubeObject[], namespace: string, labels: Record<string, string>): string[] {
  const applies = (o: KubeObject) => {
    const selector = (o.spec as { selector?: { matchLabels?: Record<string, string> } } | undefined)?.selector?.matchLabels;
    if (ns(o) !== namespace && ns(o) !== ROOT_NAMESPACE) return false;
    if (selector) return ns(o) === namespace && selects(selector, labels);
    return true;
  };
  const peer = objects.filter((o) => o.kind === 'PeerAuthentication' && applies(o));
  const rank = (o: KubeObject) => ((o.spec as { selector?: unknown } | undefined)?.selector ? 0 : ns(o) === namespace && namespace !== ROOT_NAMESPACE ? 1 : 2);
  const effective = [...peer].sort((a, b) => rank(a) - rank(b));
  const mode = effective.map((o) => (o.spec as { mtls?: { mode?: string } } | undefined)?.mtls?.mode).find((m) => m && m !== 'UNSET') ?? 'PERMISSIVE';
  const lines = ['Effective PeerAuthentication:', `   Workload mTLS mode: ${mode}`];
  if (peer.length > 0) lines.push('Applied PeerAuthentication:', `   ${effective.map(kname).join(', ')}`);
  const authorization = objects.filter((o) => o.kind === 'AuthorizationPolicy' && applies(o));
  if (authorization.length > 0) lines.push('Applied AuthorizationPolicy:', `   ${authorization.map(kname).join(', ')}`);
  const requestAuthentication = objects.filter((o) => o.kind === 'RequestAuthentication' && applies(o));
  if (requestAuthentication.length > 0) lines.push('Applied RequestAuthentication:', `   ${requestAuthentication.map(kname).join(', ')}`);
  return lines;
}

function protocolOf(port: ServicePort): string {
  const name = (port.appProtocol ?? port.name ?? '').toLowerCase();
  const prefix = name.split('-')[0];
  const known: Record<string, string> = { http: 'HTTP', http2: 'HTTP2', https: 'HTTPS', grpc: 'GRPC', 'grpc-web': 'GRPC-Web', tcp: 'TCP', tls: 'TLS', mongo: 'Mongo', mysql: 'MySQL', redis: 'Redis', udp: 'UDP' };
  return known[name.startsWith('grpc-web') ? 'grpc-web' : prefix] ?? 'auto-detect';
}

function targetPort(port: ServicePort, pod: Pod): string {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return String(target);
  const found = pod.spec.containers.flatMap((c) => c.ports ?? []).find((p) => p.name === target);
  return found ? String(found.containerPort) : `${target} (no container port of that name)`;
}

/** A Service or policy selector: an empty one selects nothing here. */
function selects(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  return selector !== undefined && Object.keys(selector).length > 0 && hasLabels(selector, labels);
}

function hasLabels(wanted: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(wanted).every(([key, value]) => labels[key] === value);
}

function renderLabels(labels: Record<string, string>): string {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',') || 'none';
}

function ns(object: KubeObject): string {
  return object.metadata.namespace ?? 'default';
}

/** istioctl's way of naming an object: `name` in default, `name.namespace` elsewhere. */
function kname(object: KubeObject): string {
  return ns(object) === 'default' ? object.metadata.name : `${object.metadata.name}.${ns(object)}`;
}
