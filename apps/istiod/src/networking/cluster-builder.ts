import { isHttp2 } from '../model/protocol.ts';
import type { Proxy } from '../model/proxy.ts';
import { inboundPorts, outboundServicePorts, type PushContext } from '../model/push-context.ts';
import {
  adsConfigSource,
  blackHoleCluster,
  inboundClusterName,
  inboundPassthroughCluster,
  outboundClusterName,
  passthroughCluster,
  socketAddress,
  typeUrls,
  type JsonObject,
} from './envoy-json.ts';

const connectTimeout = '10s';

/** The clusters a proxy needs: one per service port in the mesh, the fixed fallbacks, and one
 *  per inbound port of its own pod; sorted by name. */
export function buildClusters(push: PushContext, proxy: Proxy): JsonObject[] {
  const outbound = outboundServicePorts(push).map(({ service, port }) => {
    const name = outboundClusterName(port.port, service.hostname);
    return {
      '@type': typeUrls.cluster,
      name,
      type: 'EDS',
      eds_cluster_config: { service_name: name, eds_config: adsConfigSource() },
      connect_timeout: connectTimeout,
      // lb_policy is left out: ROUND_ROBIN is its default, and canonical Envoy JSON omits defaults.
      ...(isHttp2(port.protocol) ? http2Options() : {}),
    };
  });
  const inbound = inboundPorts(push, proxy).map((inboundPort) => {
    const name = inboundClusterName(inboundPort.targetPort);
    return {
      '@type': typeUrls.cluster,
      name,
      type: 'STATIC',
      connect_timeout: connectTimeout,
      // The app listens on the pod's loopback; Istio later binds to the pod IP instead.
      load_assignment: {
        cluster_name: name,
        endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress('127.0.0.1', inboundPort.targetPort) } }] }],
      },
      ...(isHttp2(inboundPort.protocol) ? http2Options() : {}),
    };
  });
  const fixed = [
    // Traffic that must go nowhere: a cluster with no endpoints.
    { '@type': typeUrls.cluster, name: blackHoleCluster, type: 'STATIC', connect_timeout: connectTimeout },
    { '@type': typeUrls.cluster, name: passthroughCluster, type: 'ORIGINAL_DST', connect_timeout: connectTimeout, lb_policy: 'CLUSTER_PROVIDED' },
    {
      '@type': typeUrls.cluster,
      name: inboundPassthroughCluster,
      type: 'ORIGINAL_DST',
      connect_timeout: connectTimeout,
      lb_policy: 'CLUSTER_PROVIDED',
      // As in Istio: a source address the capture rules recognise, so the app's reply is not
      // captured again.
      upstream_bind_config: { source_address: { address: '127.0.0.6', port_value: 0 } },
    },
  ];
  return [...outbound, ...inbound, ...fixed].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function http2Options(): JsonObject {
  return {
    typed_extension_protocol_options: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': typeUrls.httpProtocolOptions,
        explicit_http_config: { http2_protocol_options: {} },
      },
    },
  };
}
