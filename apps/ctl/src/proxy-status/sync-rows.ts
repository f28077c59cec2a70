import { isObject, textAt, type JsonObject } from '../proxy-config/json-reading.ts';

/** One connected proxy as istioctl proxy-status prints it. */
export interface SyncRow {
  name: string;
  cluster: string;
  cds: string;
  lds: string;
  eds: string;
  rds: string;
  ecds: string;
  istiod: string;
  version: string;
}

export const syncHeader = ['NAME', 'CLUSTER', 'CDS', 'LDS', 'EDS', 'RDS', 'ECDS', 'ISTIOD', 'VERSION'];

export function syncCells(row: SyncRow): string[] {
  return [row.name, row.cluster, row.cds, row.lds, row.eds, row.rds, row.ecds, row.istiod, row.version];
}

/** Istio's default cluster id: a local mesh has one cluster and no name for it. */
const defaultCluster = 'Kubernetes';

/** A NACK's reason is Envoy's whole error, often several lines: the first line, cut short. */
const nackReasonLength = 60;

/** istiod's /debug/syncz JSON to rows, sorted by name; throws naming what is malformed. */
export function syncRows(syncz: unknown, istiod: string): SyncRow[] {
  if (!Array.isArray(syncz)) throw new Error('istiod /debug/syncz: expected a list of proxies');
  return syncz
    .map((entry, i) => {
      if (!isObject(entry)) throw new Error(`istiod /debug/syncz[${i}]: expected an object`);
      if (typeof entry.proxy !== 'string' || entry.proxy === '') throw new Error(`istiod /debug/syncz[${i}]: "proxy" is missing`);
      return {
        name: proxyName(entry.proxy),
        cluster: textAt(entry.cluster_id) || defaultCluster,
        cds: typeState(entry, 'cluster'),
        lds: typeState(entry, 'listener'),
        eds: typeState(entry, 'endpoint'),
        rds: typeState(entry, 'route'),
        ecds: typeState(entry, 'extensionconfig'),
        istiod,
        version: textAt(entry.istio_version),
      };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** A sidecar's node id `sidecar~IP~POD.NAMESPACE~DOMAIN` to `POD.NAMESPACE`; any other id as is. */
export function proxyName(proxyId: string): string {
  const parts = proxyId.split('~');
  return parts.length === 4 && parts[2] ? parts[2] : proxyId;
}

/** SYNCED, NOT SENT, STALE, or `STALE (NACK: reason)` for a rejected version. The `_status`
 *  field is istiod's verdict; without it, the sent and acked versions decide, as in Istio. */
export function typeState(entry: JsonObject, type: string): string {
  const sent = textAt(entry[`${type}_sent`]);
  const acked = textAt(entry[`${type}_acked`]);
  const status = textAt(entry[`${type}_status`]) || (sent === '' ? 'NOT SENT' : sent === acked ? 'SYNCED' : 'STALE');
  if (status !== 'NACKED') return status;
  const reason = nackReason(entry[`${type}_nack`]);
  return reason ? `STALE (NACK: ${reason})` : 'STALE (NACK)';
}

function nackReason(nack: unknown): string {
  const error = isObject(nack) ? textAt(nack.error) : textAt(nack);
  const line = error.split('\n')[0].trim();
  return line.length > nackReasonLength ? `${line.slice(0, nackReasonLength - 3)}...` : line;
}

/** The node id of the connected proxy of POD[.NAMESPACE] (else the namespace given): by exact
 *  name, else by a name prefix that picks one proxy alone. */
export function findProxyId(syncz: unknown, reference: string, defaultNamespace = 'default'): string {
  if (!Array.isArray(syncz)) throw new Error('istiod /debug/syncz: expected a list of proxies');
  const ids = syncz.map((entry) => (isObject(entry) ? textAt(entry.proxy) : '')).filter((id) => id !== '');
  const dot = reference.indexOf('.');
  const pod = dot < 0 ? reference : reference.slice(0, dot);
  const namespace = dot < 0 ? defaultNamespace : reference.slice(dot + 1);
  const inNamespace = ids.filter((id) => proxyName(id).endsWith(`.${namespace}`));
  const podOf = (id: string) => proxyName(id).slice(0, -namespace.length - 1);
  const exact = inNamespace.find((id) => podOf(id) === pod);
  if (exact) return exact;
  const prefixed = inNamespace.filter((id) => podOf(id).startsWith(pod));
  if (prefixed.length === 1) return prefixed[0];
  if (prefixed.length > 1) throw new Error(`proxy ${reference}: ambiguous, matches ${prefixed.map(proxyName).join(', ')}`);
  throw new Error(`proxy ${pod}.${namespace}: not connected to istiod`);
}
