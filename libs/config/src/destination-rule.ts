// Istio's DestinationRule (networking.istio.io v1, v1beta1 and v1alpha3): the subsets of a host
// and how its clients talk to it (load balancing, connection pool, outlier detection, TLS).
import {
  bool,
  duration,
  dnsLabelName,
  exportTo,
  host,
  integer,
  list,
  message,
  oneOf,
  oneOfValues,
  portNumber,
  string,
  stringMap,
  uint32,
  type Check,
  type Fail,
} from './istio-schema.ts';
import type { KubeObject } from './kubernetes-types.ts';

export type SimpleLB = 'UNSPECIFIED' | 'LEAST_CONN' | 'RANDOM' | 'PASSTHROUGH' | 'ROUND_ROBIN' | 'LEAST_REQUEST';

export interface ConsistentHashLB {
  httpHeaderName?: string;
  httpCookie?: { name: string; path?: string; ttl?: string };
  useSourceIp?: boolean;
  httpQueryParameterName?: string;
  ringHash?: { minimumRingSize?: number };
  maglev?: { tableSize?: number };
  minimumRingSize?: number;
}

export interface LoadBalancerSettings {
  simple?: SimpleLB;
  consistentHash?: ConsistentHashLB;
  localityLbSetting?: Record<string, unknown>;
  warmupDurationSecs?: string;
}

export interface ConnectionPoolSettings {
  tcp?: {
    maxConnections?: number;
    connectTimeout?: string;
    tcpKeepalive?: { probes?: number; time?: string; interval?: string };
    maxConnectionDuration?: string;
    idleTimeout?: string;
  };
  http?: {
    http1MaxPendingRequests?: number;
    http2MaxRequests?: number;
    maxRequestsPerConnection?: number;
    maxRetries?: number;
    idleTimeout?: string;
    h2UpgradePolicy?: 'DEFAULT' | 'DO_NOT_UPGRADE' | 'UPGRADE';
    useClientProtocol?: boolean;
    maxConcurrentStreams?: number;
  };
}

export interface OutlierDetection {
  splitExternalLocalOriginErrors?: boolean;
  consecutiveLocalOriginFailures?: number;
  consecutiveGatewayErrors?: number;
  consecutive5xxErrors?: number;
  /** Deprecated by Istio in favour of consecutiveGatewayErrors and consecutive5xxErrors. */
  consecutiveErrors?: number;
  interval?: string;
  baseEjectionTime?: string;
  maxEjectionPercent?: number;
  minHealthPercent?: number;
}

export interface ClientTLSSettings {
  mode?: 'DISABLE' | 'SIMPLE' | 'MUTUAL' | 'ISTIO_MUTUAL';
  clientCertificate?: string;
  privateKey?: string;
  caCertificates?: string;
  credentialName?: string;
  subjectAltNames?: string[];
  sni?: string;
  insecureSkipVerify?: boolean;
  caCrl?: string;
}

export interface PortTrafficPolicy {
  port?: { number?: number };
  loadBalancer?: LoadBalancerSettings;
  connectionPool?: ConnectionPoolSettings;
  outlierDetection?: OutlierDetection;
  tls?: ClientTLSSettings;
}

export interface TrafficPolicy extends Omit<PortTrafficPolicy, 'port'> {
  portLevelSettings?: PortTrafficPolicy[];
  tunnel?: Record<string, unknown>;
  proxyProtocol?: Record<string, unknown>;
}

export interface Subset {
  name: string;
  labels?: Record<string, string>;
  trafficPolicy?: TrafficPolicy;
}

export interface DestinationRuleSpec {
  host: string;
  trafficPolicy?: TrafficPolicy;
  subsets?: Subset[];
  exportTo?: string[];
  workloadSelector?: { matchLabels?: Record<string, string> };
}

export interface DestinationRule extends KubeObject {
  kind: 'DestinationRule';
  spec: DestinationRuleSpec;
}

const hashKeys = ['httpHeaderName', 'httpCookie', 'useSourceIp', 'httpQueryParameterName'] as const;

const consistentHash: Check = message(
  {
    httpHeaderName: string,
    httpCookie: message({ name: string, path: string, ttl: duration(0) }, (v: Record<string, unknown>, at: string, fail: Fail) => {
      if (typeof v.name !== 'string' || v.name === '') fail(`${at}.name`, 'required: the cookie needs a name');
    }),
    useSourceIp: bool,
    httpQueryParameterName: string,
    ringHash: message({ minimumRingSize: uint32 }),
    maglev: message({ tableSize: uint32 }),
    minimumRingSize: uint32,
  },
  (value: Record<string, unknown>, at: string, fail: Fail) => {
    oneOf(value, hashKeys, at, fail, true);
    oneOf(value, ['ringHash', 'maglev', 'minimumRingSize'], at, fail);
  },
);

const loadBalancer: Check = message(
  {
    simple: oneOfValues(['UNSPECIFIED', 'LEAST_CONN', 'RANDOM', 'PASSTHROUGH', 'ROUND_ROBIN', 'LEAST_REQUEST']),
    consistentHash,
    localityLbSetting: message({ distribute: list(message({ from: string, to: stringMap })), failover: list(message({ from: string, to: string })), failoverPriority: list(string), enabled: bool }),
    warmupDurationSecs: duration(0),
  },
  (value: Record<string, unknown>, at: string, fail: Fail) => oneOf(value, ['simple', 'consistentHash'], at, fail),
);

const connectionPool: Check = message({
  tcp: message({
    maxConnections: integer(0, 2147483647),
    connectTimeout: duration(0.001),
    tcpKeepalive: message({ probes: uint32, time: duration(0), interval: duration(0) }),
    maxConnectionDuration: duration(0.001),
    idleTimeout: duration(0),
  }),
  http: message({
    http1MaxPendingRequests: integer(0, 2147483647),
    http2MaxRequests: integer(0, 2147483647),
    maxRequestsPerConnection: integer(0, 2147483647),
    maxRetries: integer(0, 2147483647),
    idleTimeout: duration(0.001),
    h2UpgradePolicy: oneOfValues(['DEFAULT', 'DO_NOT_UPGRADE', 'UPGRADE']),
    useClientProtocol: bool,
    maxConcurrentStreams: integer(0, 2147483647),
  }),
});

const outlierDetection: Check = message({
  splitExternalLocalOriginErrors: bool,
  consecutiveLocalOriginFailures: uint32,
  consecutiveGatewayErrors: uint32,
  consecutive5xxErrors: uint32,
  consecutiveErrors: integer(0, 2147483647),
  interval: duration(0.001),
  baseEjectionTime: duration(0.001),
  maxEjectionPercent: integer(0, 100),
  minHealthPercent: integer(0, 100),
});

const tls: Check = message({
  mode: oneOfValues(['DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL']),
  clientCertificate: string,
  privateKey: string,
  caCertificates: string,
  credentialName: string,
  subjectAltNames: list(string),
  sni: string,
  insecureSkipVerify: bool,
  caCrl: string,
});

const policyFields = { loadBalancer, connectionPool, outlierDetection, tls };

const portTrafficPolicy: Check = message({ port: message({ number: portNumber }), ...policyFields }, (value: Record<string, unknown>, at: string, fail: Fail) => {
  if ((value.port as { number?: unknown } | undefined)?.number === undefined) fail(`${at}.port.number`, 'required: port-level settings need a port');
});

const trafficPolicy: Check = message(
  {
    ...policyFields,
    portLevelSettings: list(portTrafficPolicy),
    tunnel: message({ protocol: oneOfValues(['CONNECT', 'POST']), targetHost: string, targetPort: portNumber }),
    proxyProtocol: message({ version: oneOfValues(['V1', 'V2']) }),
  },
  (value: Record<string, unknown>, at: string, fail: Fail) => {
    const seen = new Set<number>();
    ((value.portLevelSettings ?? []) as PortTrafficPolicy[]).forEach((setting, i) => {
      const port = setting.port?.number as number;
      if (seen.has(port)) fail(`${at}.portLevelSettings[${i}].port.number`, `port ${port} already has settings`);
      seen.add(port);
    });
  },
);

const subset: Check = message({ name: dnsLabelName, labels: stringMap, trafficPolicy }, (value: Record<string, unknown>, at: string, fail: Fail) => {
  if (value.name === undefined || value.name === '') fail(`${at}.name`, 'required: a subset needs a name');
});

const destinationRuleSpec: Check = message(
  { host, trafficPolicy, subsets: list(subset), exportTo, workloadSelector: message({ matchLabels: stringMap }) },
  (value: Record<string, unknown>, at: string, fail: Fail) => {
    if (value.host === undefined) fail(`${at}.host`, 'required: the host the rule applies to');
    const names = new Set<string>();
    ((value.subsets ?? []) as Subset[]).forEach((s, i) => {
      if (names.has(s.name)) fail(`${at}.subsets[${i}].name`, `duplicate subset name ${JSON.stringify(s.name)}`);
      names.add(s.name);
    });
  },
);

export function checkDestinationRule(object: KubeObject, fail: Fail): void {
  if (object.spec === undefined) fail('spec', 'required mapping is missing');
  destinationRuleSpec(object.spec, 'spec', fail);
}
