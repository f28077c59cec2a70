// A port's protocol, decided as Istio does: the service port's appProtocol first, else the
// port name's prefix ("http", "http-web", "grpc-api"). Anything else is AUTO: the outbound
// listener of a captured sidecar and every inbound port sniff whether a connection speaks HTTP,
// and otherwise proxy it as TCP. Istio's Mongo, Redis and MySQL ports are proxied as plain TCP
// (Istio enables their protocol filters only on request), so they are TCP here.

export type Protocol = 'HTTP' | 'HTTP2' | 'GRPC' | 'TCP' | 'TLS' | 'UDP' | 'AUTO';

const byName: Record<string, Protocol> = {
  http: 'HTTP',
  'http/1.1': 'HTTP',
  http_proxy: 'HTTP',
  http2: 'HTTP2',
  h2c: 'HTTP2',
  'kubernetes.io/h2c': 'HTTP2',
  grpc: 'GRPC',
  'grpc-web': 'GRPC',
  tcp: 'TCP',
  mongo: 'TCP',
  redis: 'TCP',
  mysql: 'TCP',
  tls: 'TLS',
  https: 'TLS',
  udp: 'UDP',
};

export function portProtocol(port: { name?: string; appProtocol?: string; protocol?: string }): Protocol {
  if (port.protocol === 'UDP') return 'UDP';
  const fromAppProtocol = port.appProtocol ? byName[port.appProtocol.toLowerCase()] : undefined;
  if (fromAppProtocol) return fromAppProtocol;
  const prefix = (port.name ?? '').toLowerCase().split('-')[0];
  return byName[prefix] ?? 'AUTO';
}

export function isHttp(protocol: Protocol): boolean {
  return protocol === 'HTTP' || protocol === 'HTTP2' || protocol === 'GRPC';
}

/** TLS the app terminates itself: the proxy passes it through as bytes. */
export function isTls(protocol: Protocol): boolean {
  return protocol === 'TLS';
}

/** Protocols whose upstream connections must speak HTTP/2. */
export function isHttp2(protocol: Protocol): boolean {
  return protocol === 'HTTP2' || protocol === 'GRPC';
}
