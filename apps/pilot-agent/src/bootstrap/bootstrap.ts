import type { Address, Bootstrap, Cluster, JsonObject, Node, SocketAddress } from '@mizzen/xds';
import { formatDuration } from '../cli/duration.ts';
import { formatHostPort } from './discovery-address.ts';
import type { PodIdentity } from './pod-identity.ts';

/** Everything the bootstrap depends on; building it has no side effects. */
export interface BootstrapInput {
  /** The node id's first part: "sidecar" (the default) or "router" for a gateway. */
  proxyType?: 'sidecar' | 'router';
  identity: PodIdentity;
  /** DNS domain of the pod's namespace, e.g. "bookinfo.svc.cluster.local". */
  domain: string;
  /** The discovery server as configured (host) and as resolved at start (ip). */
  discovery: { host: string; ip: string; port: number };
  adminPort: number;
  statusPort: number;
  concurrency: number;
  drainDurationMs: number;
  binaryPath: string;
  configPath: string;
  proxyVersion: string;
  /** The agent's local xDS proxy: when set, xds-grpc dials this unix socket, not istiod. */
  xdsSocket?: string;
}

export const XDS_CLUSTER = 'xds-grpc';

/** The Envoy v3 bootstrap (proto3 JSON, snake_case) that points the proxy at the discovery server. */
export function buildBootstrap(input: BootstrapInput): Bootstrap {
  return {
    node: buildNode(input),
    admin: { address: socketAddress('127.0.0.1', input.adminPort) },
    dynamic_resources: {
      lds_config: adsConfigSource(),
      cds_config: adsConfigSource(),
      ads_config: {
        api_type: 'GRPC',
        transport_api_version: 'V3',
        set_node_on_first_message_only: true,
        grpc_services: [{ envoy_grpc: { cluster_name: XDS_CLUSTER } }],
      },
    },
    static_resources: { clusters: [xdsCluster(input.xdsSocket ? { pipe: { path: input.xdsSocket } } : socketAddress(input.discovery.ip, input.discovery.port))] },
  };
}

/** The node Istio's agent sends: istiod reads the pod's identity, labels and capture mode from it. */
export function buildNode(input: BootstrapInput): Node {
  const { identity } = input;
  const app = identity.labels.app ?? identity.podName;
  const metadata: JsonObject = {
    NAME: identity.podName,
    NAMESPACE: identity.namespace,
    INSTANCE_IPS: identity.instanceIps.join(','),
    LABELS: identity.labels,
    SERVICE_ACCOUNT: identity.serviceAccount,
    CLUSTER_ID: 'Kubernetes',
    ISTIO_VERSION: input.proxyVersion,
    INTERCEPTION_MODE: 'REDIRECT',
    WORKLOAD_NAME: identity.podName,
    PROXY_CONFIG: proxyConfig(input),
    // What the pod's injector sets wins over the defaults above.
    ...identity.meta,
    ...identity.metaJson,
  };
  return {
    id: `${input.proxyType ?? 'sidecar'}~${identity.instanceIps[0]}~${identity.podName}.${identity.namespace}~${input.domain}`,
    cluster: `${app}.${identity.namespace}`,
    metadata,
  };
}

// Istio's ProxyConfig, in its own (camelCase) JSON form, as Istio's agent reports it.
function proxyConfig(input: BootstrapInput): JsonObject {
  return {
    configPath: input.configPath,
    binaryPath: input.binaryPath,
    serviceCluster: `${input.identity.labels.app ?? input.identity.podName}.${input.identity.namespace}`,
    terminationDrainDuration: formatDuration(input.drainDurationMs),
    discoveryAddress: formatHostPort(input.discovery),
    proxyAdminPort: input.adminPort,
    statusPort: input.statusPort,
    concurrency: input.concurrency,
    controlPlaneAuthPolicy: 'NONE',
  };
}

function adsConfigSource() {
  return { ads: {}, initial_fetch_timeout: '0s', resource_api_version: 'V3' } as const;
}

// The agent's unix socket, or istiod's address resolved once at start: the cluster is STATIC.
// xDS is gRPC, so the cluster speaks HTTP/2, with keepalive pings so that a silent peer is
// noticed. Defaults (TCP, ROUND_ROBIN) are left out, as in canonical proto3 JSON.
function xdsCluster(address: Address): Cluster {
  return {
    name: XDS_CLUSTER,
    type: 'STATIC',
    connect_timeout: '1s',
    load_assignment: {
      cluster_name: XDS_CLUSTER,
      endpoints: [{ lb_endpoints: [{ endpoint: { address } }] }],
    },
    typed_extension_protocol_options: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
        explicit_http_config: {
          http2_protocol_options: { connection_keepalive: { interval: '30s', timeout: '10s' } },
        },
      },
    },
  };
}

function socketAddress(address: string, port: number): { socket_address: SocketAddress } {
  return { socket_address: { address, port_value: port } };
}
