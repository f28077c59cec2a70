import { isObject, textAt } from '../proxy-config/json-reading.ts';
import { proxyName } from '../proxy-status/sync-rows.ts';

/** A component's build, with the field names of Istio's BuildInfo JSON. */
export interface BuildInfo {
  version: string;
  revision: string;
  node_version: string;
  status: string;
  tag: string;
}

/** What `version -o json` prints, in istioctl's shape. */
export interface MeshVersion {
  clientVersion: BuildInfo;
  meshVersion?: { Component: string; Revision: string; Info: BuildInfo }[];
  dataPlaneVersion?: { ID: string; IstioVersion: string }[];
}

/** istiod's /version answer to its BuildInfo; throws naming what is missing. */
export function controlPlaneInfo(body: unknown): BuildInfo {
  if (!isObject(body) || textAt(body.version) === '') throw new Error('istiod /version: expected an object with a "version"');
  return { version: textAt(body.version), revision: textAt(body.revision), node_version: textAt(body.node_version), status: textAt(body.status), tag: textAt(body.tag) };
}

/** istiod's /debug/syncz to each connected proxy's ISTIO_VERSION, sorted by name. */
export function dataPlaneVersions(syncz: unknown): { ID: string; IstioVersion: string }[] {
  if (!Array.isArray(syncz)) throw new Error('istiod /debug/syncz: expected a list of proxies');
  return syncz
    .map((entry, i) => {
      if (!isObject(entry) || textAt(entry.proxy) === '') throw new Error(`istiod /debug/syncz[${i}]: "proxy" is missing`);
      return { ID: proxyName(textAt(entry.proxy)), IstioVersion: textAt(entry.istio_version) };
    })
    .sort((a, b) => (a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0));
}

/** istioctl's text: one line per part, each data plane version with how many proxies run it;
 *  the long form spells out each build and lists every proxy. */
export function formatVersion(mesh: MeshVersion, short: boolean): string {
  const build = (info: BuildInfo) => (short ? info.version : longForm(info));
  const lines = [`client version: ${build(mesh.clientVersion)}`];
  const components = mesh.meshVersion ?? [];
  // Several istiods (a cluster runs replicas): each version once in the short form.
  if (short && components.length > 0) lines.push(`control plane version: ${[...new Set(components.map((c) => c.Info.version))].join(', ')}`);
  if (!short) for (const component of components) lines.push(`control plane version: ${component.Component} (revision ${component.Revision}): ${longForm(component.Info)}`);
  if (mesh.dataPlaneVersion) lines.push(...dataPlaneLines(mesh.dataPlaneVersion, short));
  return lines.map((line) => `${line}\n`).join('');
}

function longForm(info: BuildInfo): string {
  return `version ${info.version}, revision ${info.revision || 'unknown'}, node ${info.node_version || 'unknown'}, status ${info.status || 'unknown'}, tag ${info.tag || 'unknown'}`;
}

function dataPlaneLines(proxies: { ID: string; IstioVersion: string }[], short: boolean): string[] {
  if (proxies.length === 0) return ['data plane version: none (no proxies connected)'];
  if (!short) return ['data plane versions:', ...proxies.map((p) => `  ${p.ID}: ${p.IstioVersion || 'unknown'}`)];
  const counts = new Map<string, number>();
  for (const proxy of proxies) counts.set(proxy.IstioVersion || 'unknown', (counts.get(proxy.IstioVersion || 'unknown') ?? 0) + 1);
  const parts = [...counts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([version, n]) => `${version} (${n} ${n === 1 ? 'proxy' : 'proxies'})`);
  return [`data plane version: ${parts.join(', ')}`];
}
