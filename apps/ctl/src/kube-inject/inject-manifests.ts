import type { Pod } from '@mizzen/config';
import { injectionDecision, injectPod, injectWorkload, type InjectionSettings } from '@mizzen/inject';
import { parseAllDocuments, stringify, type Document } from 'yaml';

export interface InjectedManifests {
  /** The documents again, injectable ones injected, the others as they were. */
  text: string;
  /** One line per workload left without a sidecar, and why. */
  skipped: string[];
}

/** Kinds whose pods come from `spec.template`. */
const TEMPLATED_KINDS: ReadonlySet<string> = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Job', 'DeploymentConfig']);

type Json = Record<string, unknown>;

/**
 * istioctl kube-inject over a multi-document YAML text: every Pod, Deployment, StatefulSet,
 * DaemonSet, ReplicaSet, Job, CronJob (and the items of a List) gets the sidecar unless its pod
 * says otherwise; documents of other kinds pass through unchanged. `source` names the input in
 * errors. Throws on YAML that does not parse, or a workload whose annotations are wrong.
 */
export function injectManifests(text: string, settings: InjectionSettings, source: string): InjectedManifests {
  const skipped: string[] = [];
  const out: string[] = [];
  parseAllDocuments(text).forEach((document, index) => {
    const where = `${source}: document ${index + 1}`;
    const error = document.errors[0];
    if (error) throw new Error(`${where}: not valid YAML (${error.message.split('\n')[0]})`);
    const value: unknown = document.toJS();
    if (value === null || value === undefined) return;
    const injected = injectObject(value, settings, skipped, where);
    out.push(injected === value ? passThrough(document) : stringify(injected, { lineWidth: 0 }));
  });
  return { text: out.join('---\n'), skipped };
}

function passThrough(document: Document): string {
  const text = document.toString({ lineWidth: 0 });
  return text.startsWith('---\n') ? text.slice(4) : text;
}

/** The object injected, or the very same object when there is nothing to do. */
function injectObject(value: unknown, settings: InjectionSettings, skipped: string[], where: string): unknown {
  if (!isObject(value)) return value;
  const kind = value.kind;
  if (kind === 'List' && Array.isArray(value.items)) {
    const items = value.items.map((item, i) => injectObject(item, settings, skipped, `${where}: items[${i}]`));
    return items.every((item, i) => item === (value.items as unknown[])[i]) ? value : { ...value, items };
  }
  const metadata = isObject(value.metadata) ? value.metadata : {};
  const namespace = typeof metadata.namespace === 'string' ? metadata.namespace : undefined;
  const name = `${String(kind)} ${namespace ?? 'default'}/${String(metadata.name ?? '<no name>')}`;
  const decide = (podMeta: unknown, podSpec: unknown): boolean => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { ...(isObject(podMeta) ? podMeta : {}), namespace }, spec: podSpec } as Pod;
    const decision = injectionDecision(pod, namespaceLabels(settings), settings.revision ?? 'default');
    if (!decision.inject) skipped.push(`${name}: not injected: ${decision.reason}`);
    return decision.inject;
  };
  try {
    if (kind === 'Pod') {
      return decide(metadata, value.spec) ? injectPod(value as unknown as Pod, settings) : value;
    }
    if (typeof kind === 'string' && TEMPLATED_KINDS.has(kind)) {
      const template = isObject(value.spec) && isObject(value.spec.template) ? value.spec.template : {};
      return decide(template.metadata, template.spec) ? injectWorkload(value, settings) : value;
    }
    if (kind === 'CronJob') {
      // A CronJob's pods come from the Job it makes: spec.jobTemplate.spec.template.
      const spec = isObject(value.spec) ? value.spec : {};
      const jobTemplate = isObject(spec.jobTemplate) ? spec.jobTemplate : {};
      const job = { apiVersion: value.apiVersion, kind: 'CronJob', metadata, spec: jobTemplate.spec };
      const template = isObject(jobTemplate.spec) && isObject(jobTemplate.spec.template) ? jobTemplate.spec.template : {};
      if (!decide(template.metadata, template.spec)) return value;
      const injected = injectWorkload(job as Json & { spec?: never }, settings) as Json;
      return { ...value, spec: { ...spec, jobTemplate: { ...jobTemplate, spec: injected.spec } } };
    }
  } catch (error) {
    throw new Error(`${where}: ${(error as Error).message}`, { cause: error });
  }
  return value;
}

/** kube-inject injects whatever the namespace says: as if it asked for this revision. */
function namespaceLabels(settings: InjectionSettings): Record<string, string> {
  const revision = settings.revision ?? 'default';
  return revision === 'default' ? { 'istio-injection': 'enabled' } : { 'istio.io/rev': revision };
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
