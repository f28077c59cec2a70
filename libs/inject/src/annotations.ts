// The annotation and label names Istio's injector reads and writes, spelt as Istio spells them
// so that a manifest written for Istio behaves the same here.

export const Annotation = {
  inject: 'sidecar.istio.io/inject',
  status: 'sidecar.istio.io/status',
  proxyConfig: 'proxy.istio.io/config',
  proxyImage: 'sidecar.istio.io/proxyImage',
  proxyCpu: 'sidecar.istio.io/proxyCPU',
  proxyMemory: 'sidecar.istio.io/proxyMemory',
  proxyCpuLimit: 'sidecar.istio.io/proxyCPULimit',
  proxyMemoryLimit: 'sidecar.istio.io/proxyMemoryLimit',
  logLevel: 'sidecar.istio.io/logLevel',
  componentLogLevel: 'sidecar.istio.io/componentLogLevel',
  interceptionMode: 'sidecar.istio.io/interceptionMode',
  rewriteAppHttpProbers: 'sidecar.istio.io/rewriteAppHTTPProbers',
  statusPort: 'status.sidecar.istio.io/port',
  readinessInitialDelay: 'readiness.status.sidecar.istio.io/initialDelaySeconds',
  readinessPeriod: 'readiness.status.sidecar.istio.io/periodSeconds',
  readinessFailureThreshold: 'readiness.status.sidecar.istio.io/failureThreshold',
  includeOutboundIpRanges: 'traffic.sidecar.istio.io/includeOutboundIPRanges',
  excludeOutboundIpRanges: 'traffic.sidecar.istio.io/excludeOutboundIPRanges',
  includeInboundPorts: 'traffic.sidecar.istio.io/includeInboundPorts',
  excludeInboundPorts: 'traffic.sidecar.istio.io/excludeInboundPorts',
  includeOutboundPorts: 'traffic.sidecar.istio.io/includeOutboundPorts',
  excludeOutboundPorts: 'traffic.sidecar.istio.io/excludeOutboundPorts',
  kubevirtInterfaces: 'traffic.sidecar.istio.io/kubevirtInterfaces',
  excludeInterfaces: 'traffic.sidecar.istio.io/excludeInterfaces',
  defaultContainer: 'kubectl.kubernetes.io/default-container',
  defaultLogsContainer: 'kubectl.kubernetes.io/default-logs-container',
  prometheusScrape: 'prometheus.io/scrape',
  prometheusPort: 'prometheus.io/port',
  prometheusPath: 'prometheus.io/path',
  revision: 'istio.io/rev',
} as const;

export const Label = {
  inject: 'sidecar.istio.io/inject',
  revision: 'istio.io/rev',
  namespaceInjection: 'istio-injection',
  tlsMode: 'security.istio.io/tlsMode',
  canonicalName: 'service.istio.io/canonical-name',
  canonicalRevision: 'service.istio.io/canonical-revision',
} as const;
