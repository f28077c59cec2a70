// Who a connected proxy is, read from the Node of its first xDS request. pilot-agent writes
// node.id as "sidecar~POD_IP~POD_NAME.NAMESPACE~NAMESPACE.svc.cluster.local" and Istio's keys in
// node.metadata.

export type InterceptionMode = 'REDIRECT' | 'NONE';

export interface Proxy {
  id: string;
  type: string;
  /** The pod's IPs; the first is its primary address. */
  ipAddresses: string[];
  podName: string;
  namespace: string;
  labels: Record<string, string>;
  serviceAccount?: string;
  interceptionMode: InterceptionMode;
  istioVersion?: string;
  cluster?: string;
}

export class ProxyNodeError extends Error {
  override name = 'ProxyNodeError';
}

/** Reads a proxy's identity from its Node (Envoy JSON). Throws ProxyNodeError naming the
 *  field that is missing or malformed. */
export function parseProxyNode(node: unknown): Proxy {
  if (typeof node !== 'object' || node === null) throw new ProxyNodeError('node: missing');
  const { id, cluster, metadata: rawMetadata } = node as { id?: unknown; cluster?: unknown; metadata?: unknown };
  if (typeof id !== 'string' || id === '') throw new ProxyNodeError('node.id: missing');
  const parts = id.split('~');
  if (parts.length !== 4) throw new ProxyNodeError(`node.id: expected TYPE~IP~POD.NAMESPACE~DOMAIN, got ${JSON.stringify(id)}`);
  const [type, ip, podAndNamespace] = parts;
  if (!ip) throw new ProxyNodeError(`node.id: no IP in ${JSON.stringify(id)}`);
  const dot = podAndNamespace.lastIndexOf('.');
  const metadata = (typeof rawMetadata === 'object' && rawMetadata !== null ? rawMetadata : {}) as Record<string, unknown>;
  const podName = stringField(metadata, 'NAME') ?? (dot > 0 ? podAndNamespace.slice(0, dot) : podAndNamespace);
  const namespace = stringField(metadata, 'NAMESPACE') ?? (dot > 0 ? podAndNamespace.slice(dot + 1) : undefined);
  if (!namespace) throw new ProxyNodeError(`node.id: no namespace in ${JSON.stringify(id)} and no node.metadata.NAMESPACE`);

  const instanceIps = stringField(metadata, 'INSTANCE_IPS');
  const ipAddresses = [ip, ...(instanceIps ? instanceIps.split(',').map((s) => s.trim()) : [])].filter((a, i, all) => a && all.indexOf(a) === i);

  const labels = metadata.LABELS ?? {};
  if (typeof labels !== 'object' || labels === null || Object.values(labels).some((v) => typeof v !== 'string')) {
    throw new ProxyNodeError('node.metadata.LABELS: must be an object of strings');
  }
  const mode = stringField(metadata, 'INTERCEPTION_MODE') ?? 'REDIRECT';
  if (mode !== 'REDIRECT' && mode !== 'NONE') throw new ProxyNodeError(`node.metadata.INTERCEPTION_MODE: must be REDIRECT or NONE, got ${JSON.stringify(mode)}`);

  return {
    id,
    type,
    ipAddresses,
    podName,
    namespace,
    labels: labels as Record<string, string>,
    serviceAccount: stringField(metadata, 'SERVICE_ACCOUNT'),
    interceptionMode: mode,
    istioVersion: stringField(metadata, 'ISTIO_VERSION'),
    cluster: typeof cluster === 'string' ? cluster : undefined,
  };
}

function stringField(metadata: Record<string, unknown>, key: string): string | undefined {
  const value = metadata[key];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new ProxyNodeError(`node.metadata.${key}: must be a string, got ${JSON.stringify(value)}`);
  return value;
}
