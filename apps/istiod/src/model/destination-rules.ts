import type { ConnectionPoolSettings, DestinationRule, LoadBalancerSettings, OutlierDetection, ClientTLSSettings, Subset, TrafficPolicy } from '@mizzen/config';
import { hostMatches, hostSpecificity, isExportedTo, resolveHost } from './host.ts';

/** What a DestinationRule says for one port (and subset) of a host, after Istio's overrides. */
export interface PortPolicy {
  loadBalancer?: LoadBalancerSettings;
  connectionPool?: ConnectionPoolSettings;
  outlierDetection?: OutlierDetection;
  tls?: ClientTLSSettings;
}

/** The DestinationRule that applies to a host for clients in a namespace, chosen as Istio
 *  does: a rule in the client's namespace first, then the service's, then the root namespace,
 *  then any other that exports itself there; an exact host before a wildcard. Rules in the
 *  mesh config's root namespace apply mesh-wide after the closer ones. */
const chosenByRules = new WeakMap<readonly DestinationRule[], Map<string, Map<string, DestinationRule | null>>>();

export function destinationRuleFor(
  push: { destinationRules: readonly DestinationRule[]; mesh: { rootNamespace: string } },
  clientNamespace: string,
  hostname: string,
  serviceNamespace?: string,
): DestinationRule | undefined {
  const rules = push.destinationRules;
  const rootNamespace = push.mesh.rootNamespace;
  // Every proxy of a namespace asks the same questions of the same (per push) list: answer each
  // once. Keyed by maps in turn rather than a joined string, since this is asked for every
  // cluster of every proxy, and the strings given are the registry's own.
  let byClient = chosenByRules.get(rules);
  if (!byClient) {
    byClient = new Map();
    chosenByRules.set(rules, byClient);
  }
  const scope = `${clientNamespace}\0${serviceNamespace ?? ''}\0${rootNamespace}`;
  let chosen = byClient.get(scope);
  if (!chosen) {
    chosen = new Map();
    byClient.set(scope, chosen);
  }
  let rule = chosen.get(hostname);
  if (rule === undefined) {
    rule = chooseDestinationRule(rules, rootNamespace, clientNamespace, hostname, serviceNamespace) ?? null;
    chosen.set(hostname, rule);
  }
  return rule ?? undefined;
}

function chooseDestinationRule(rules: readonly DestinationRule[], rootNamespace: string, clientNamespace: string, hostname: string, serviceNamespace?: string): DestinationRule | undefined {
  const rank = (rule: DestinationRule) => {
    const ns = rule.metadata.namespace ?? 'default';
    return ns === clientNamespace ? 0 : ns === serviceNamespace ? 1 : ns === rootNamespace ? 2 : 3;
  };
  const candidates = rulesFor(rules, hostname).filter((rule) => {
    const ns = rule.metadata.namespace ?? 'default';
    return (ns === clientNamespace || isExportedTo(rule.spec.exportTo, ns, clientNamespace)) && hostMatches(resolveHost(rule.spec.host, ns), hostname);
  });
  // The store lists by namespace and name, and sort() is stable, so ties keep that order.
  const specificity = (rule: DestinationRule) => hostSpecificity(resolveHost(rule.spec.host, rule.metadata.namespace ?? 'default'));
  return candidates.sort((a, b) => rank(a) - rank(b) || specificity(a) - specificity(b))[0];
}

/** The policy of a port: the top-level fields, each replaced by the port's own settings. With a
 *  subset, the subset's policy (at the same port) then replaces field by field. */
export function portPolicy(rule: DestinationRule | undefined, port: number, subset?: Subset): PortPolicy {
  const top = policyAtPort(rule?.spec.trafficPolicy, port);
  return subset?.trafficPolicy ? { ...top, ...policyAtPort(subset.trafficPolicy, port) } : top;
}

function policyAtPort(policy: TrafficPolicy | undefined, port: number): PortPolicy {
  if (!policy) return {};
  const atPort = policy.portLevelSettings?.find((s) => s.port?.number === port);
  return definedOnly({ ...fields(policy), ...(atPort ? definedOnly(fields(atPort)) : {}) });
}

function fields(policy: PortPolicy): PortPolicy {
  return { loadBalancer: policy.loadBalancer, connectionPool: policy.connectionPool, outlierDetection: policy.outlierDetection, tls: policy.tls };
}

function definedOnly(policy: PortPolicy): PortPolicy {
  return Object.fromEntries(Object.entries(policy).filter(([, v]) => v !== undefined && v !== null));
}

const hostIndexByRules = new WeakMap<readonly DestinationRule[], { exact: Map<string, number[]>; wildcard: number[] }>();

/** The rules that may name a host, in list order: those for that exact host and those with a
 *  wildcard. Indexed once per list (per push), so that choosing for every host of a large mesh
 *  does not read every rule each time. */
function rulesFor(rules: readonly DestinationRule[], hostname: string): DestinationRule[] {
  let index = hostIndexByRules.get(rules);
  if (!index) {
    index = { exact: new Map(), wildcard: [] };
    rules.forEach((rule, i) => {
      const host = resolveHost(rule.spec.host, rule.metadata.namespace ?? 'default');
      if (host.includes('*')) index?.wildcard.push(i);
      else index?.exact.set(host, [...(index.exact.get(host) ?? []), i]);
    });
    hostIndexByRules.set(rules, index);
  }
  return [...(index.exact.get(hostname) ?? []), ...index.wildcard].sort((a, b) => a - b).map((i) => rules[i]);
}
