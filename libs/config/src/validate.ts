import { ConfigError } from './config-error.ts';
import { istioKindChecks } from './istio-kinds.ts';
import { clusterScopedKinds, describeObject, type KubeObject } from './kubernetes-types.ts';

// Field-by-field checks of the kinds Mizzen models. Each check throws a ConfigError naming the
// field path; the loader adds the file and document index.

const knownApiVersions: Record<string, string> = {
  Service: 'v1',
  Pod: 'v1',
  ServiceAccount: 'v1',
  Namespace: 'v1',
  Deployment: 'apps/v1',
};

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const ianaServiceName = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const ipv4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const ipv6 = /^[0-9a-fA-F:]+(%\w+)?$/;

type Fail = (field: string, reason: string) => never;

/** Checks a parsed document and returns it as a KubeObject, with metadata.namespace set to
 *  "default" for namespaced kinds that leave it out. Unknown kinds only need apiVersion, kind
 *  and metadata.name. */
export function validateObject(document: unknown): KubeObject {
  if (!isRecord(document)) throw new ConfigError({ reason: `a document must be a mapping, got ${typeName(document)}` });
  const resource = describeObject(document);
  const fail: Fail = (field, reason) => {
    throw new ConfigError({ resource, field, reason });
  };
  const { apiVersion, kind, metadata } = document;
  if (typeof apiVersion !== 'string' || apiVersion === '') fail('apiVersion', 'required string is missing');
  if (typeof kind !== 'string' || kind === '') fail('kind', 'required string is missing');
  if (!isRecord(metadata)) fail('metadata', 'required mapping is missing');
  if (typeof metadata.name !== 'string' || metadata.name === '') fail('metadata.name', 'required string is missing');
  if (metadata.namespace !== undefined && (typeof metadata.namespace !== 'string' || !dnsLabel.test(metadata.namespace))) {
    fail('metadata.namespace', `must be a DNS label, got ${JSON.stringify(metadata.namespace)}`);
  }
  checkStringMap(metadata.labels, 'metadata.labels', fail);
  checkStringMap(metadata.annotations, 'metadata.annotations', fail);

  const object = { ...document, metadata: { ...metadata } } as unknown as KubeObject;
  if (!clusterScopedKinds.has(kind as string) && object.metadata.namespace === undefined) object.metadata.namespace = 'default';

  const istioKind = istioKindChecks[kind as string];
  if (istioKind) {
    if (!istioKind.apiVersions.includes(apiVersion as string)) fail('apiVersion', `${kind} must be one of ${istioKind.apiVersions.join(', ')}, got ${JSON.stringify(apiVersion)}`);
    istioKind.check(object, fail);
    return object;
  }

  const expectedApiVersion = knownApiVersions[kind as string];
  if (expectedApiVersion === undefined) return object;
  if (apiVersion !== expectedApiVersion) fail('apiVersion', `${kind} must be ${expectedApiVersion}, got ${JSON.stringify(apiVersion)}`);
  kindChecks[kind as string](object, fail);
  return object;
}

const kindChecks: Record<string, (object: KubeObject, fail: Fail) => void> = {
  Service: checkService,
  Pod: (object, fail) => {
    checkName(object, dnsSubdomain, 'a DNS subdomain', fail);
    checkPodSpec(object.spec, 'spec', fail);
    checkPodStatus(object.status, fail);
  },
  Deployment: checkDeployment,
  ServiceAccount: (object, fail) => checkName(object, dnsSubdomain, 'a DNS subdomain', fail),
  Namespace: (object, fail) => checkName(object, dnsLabel, 'a DNS label', fail),
};

function checkName(object: KubeObject, pattern: RegExp, what: string, fail: Fail): void {
  const name = object.metadata.name;
  if (name.length > 253 || !pattern.test(name) || (pattern === dnsLabel && name.length > 63)) {
    fail('metadata.name', `must be ${what} (lowercase letters, digits and '-'), got ${JSON.stringify(name)}`);
  }
}

function checkService(object: KubeObject, fail: Fail): void {
  checkName(object, dnsLabel, 'a DNS label', fail);
  const spec = object.spec;
  if (!isRecord(spec)) fail('spec', 'required mapping is missing');
  checkStringMap(spec.selector, 'spec.selector', fail);
  if (spec.clusterIP !== undefined && spec.clusterIP !== 'None' && spec.clusterIP !== '' && !isIp(spec.clusterIP)) {
    fail('spec.clusterIP', `must be an IP address or "None", got ${JSON.stringify(spec.clusterIP)}`);
  }
  if (spec.ports === undefined) return;
  if (!Array.isArray(spec.ports)) fail('spec.ports', `must be a list, got ${typeName(spec.ports)}`);
  const names = new Set<string>();
  spec.ports.forEach((port: unknown, i: number) => {
    const at = `spec.ports[${i}]`;
    if (!isRecord(port)) fail(at, `must be a mapping, got ${typeName(port)}`);
    checkPortNumber(port.port, `${at}.port`, fail);
    checkProtocol(port.protocol, `${at}.protocol`, fail);
    if (port.name !== undefined) {
      if (typeof port.name !== 'string' || !dnsLabel.test(port.name)) fail(`${at}.name`, `must be a DNS label, got ${JSON.stringify(port.name)}`);
      if (names.has(port.name)) fail(`${at}.name`, `duplicate port name ${JSON.stringify(port.name)}`);
      names.add(port.name);
    } else if ((spec.ports as unknown[]).length > 1) {
      fail(`${at}.name`, 'required when a service has more than one port');
    }
    if (port.targetPort !== undefined) {
      if (typeof port.targetPort === 'string') checkPortName(port.targetPort, `${at}.targetPort`, fail);
      else checkPortNumber(port.targetPort, `${at}.targetPort`, fail);
    }
    if (port.appProtocol !== undefined && typeof port.appProtocol !== 'string') fail(`${at}.appProtocol`, `must be a string, got ${typeName(port.appProtocol)}`);
  });
}

function checkDeployment(object: KubeObject, fail: Fail): void {
  checkName(object, dnsSubdomain, 'a DNS subdomain', fail);
  const spec = object.spec;
  if (!isRecord(spec)) fail('spec', 'required mapping is missing');
  if (spec.replicas !== undefined && (!Number.isInteger(spec.replicas) || (spec.replicas as number) < 0)) {
    fail('spec.replicas', `must be a non-negative integer, got ${JSON.stringify(spec.replicas)}`);
  }
  if (!isRecord(spec.selector)) fail('spec.selector', 'required mapping is missing');
  checkStringMap(spec.selector.matchLabels, 'spec.selector.matchLabels', fail);
  if (!isRecord(spec.template)) fail('spec.template', 'required mapping is missing');
  const templateMeta = spec.template.metadata;
  if (templateMeta !== undefined && !isRecord(templateMeta)) fail('spec.template.metadata', `must be a mapping, got ${typeName(templateMeta)}`);
  checkStringMap(templateMeta?.labels, 'spec.template.metadata.labels', fail);
  const matchLabels = (spec.selector.matchLabels ?? {}) as Record<string, string>;
  const templateLabels = (templateMeta?.labels ?? {}) as Record<string, string>;
  for (const [key, value] of Object.entries(matchLabels)) {
    if (templateLabels[key] !== value) fail('spec.selector.matchLabels', `selects ${key}=${value}, which spec.template.metadata.labels does not have`);
  }
  checkPodSpec(spec.template.spec, 'spec.template.spec', fail);
}

function checkPodSpec(spec: unknown, at: string, fail: Fail): void {
  if (!isRecord(spec)) fail(at, 'required mapping is missing');
  if (spec.serviceAccountName !== undefined && (typeof spec.serviceAccountName !== 'string' || !dnsSubdomain.test(spec.serviceAccountName))) {
    fail(`${at}.serviceAccountName`, `must be a DNS subdomain, got ${JSON.stringify(spec.serviceAccountName)}`);
  }
  if (!Array.isArray(spec.containers) || spec.containers.length === 0) fail(`${at}.containers`, 'must be a non-empty list');
  spec.containers.forEach((container: unknown, i: number) => {
    const cat = `${at}.containers[${i}]`;
    if (!isRecord(container)) fail(cat, `must be a mapping, got ${typeName(container)}`);
    if (typeof container.name !== 'string' || !dnsLabel.test(container.name)) fail(`${cat}.name`, `must be a DNS label, got ${JSON.stringify(container.name)}`);
    if (container.ports === undefined) return;
    if (!Array.isArray(container.ports)) fail(`${cat}.ports`, `must be a list, got ${typeName(container.ports)}`);
    container.ports.forEach((port: unknown, j: number) => {
      const pat = `${cat}.ports[${j}]`;
      if (!isRecord(port)) fail(pat, `must be a mapping, got ${typeName(port)}`);
      checkPortNumber(port.containerPort, `${pat}.containerPort`, fail);
      checkProtocol(port.protocol, `${pat}.protocol`, fail);
      if (port.name !== undefined) checkPortName(port.name, `${pat}.name`, fail);
    });
  });
}

function checkPodStatus(status: unknown, fail: Fail): void {
  if (status === undefined) return;
  if (!isRecord(status)) fail('status', `must be a mapping, got ${typeName(status)}`);
  if (status.podIP !== undefined && status.podIP !== '' && !isIp(status.podIP)) fail('status.podIP', `must be an IP address, got ${JSON.stringify(status.podIP)}`);
}

function checkPortNumber(value: unknown, field: string, fail: Fail): void {
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > 65535) {
    fail(field, `must be an integer between 1 and 65535, got ${JSON.stringify(value)}`);
  }
}

function checkPortName(value: unknown, field: string, fail: Fail): void {
  if (typeof value !== 'string' || value.length > 15 || !ianaServiceName.test(value) || !/[a-z]/.test(value)) {
    fail(field, `must be a port name (at most 15 lowercase letters, digits and '-', with a letter), got ${JSON.stringify(value)}`);
  }
}

function checkProtocol(value: unknown, field: string, fail: Fail): void {
  if (value !== undefined && value !== 'TCP' && value !== 'UDP' && value !== 'SCTP') fail(field, `must be TCP, UDP or SCTP, got ${JSON.stringify(value)}`);
}

function checkStringMap(value: unknown, field: string, fail: Fail): void {
  if (value === undefined || value === null) return;
  if (!isRecord(value)) fail(field, `must be a mapping of strings, got ${typeName(value)}`);
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') fail(`${field}.${key}`, `must be a string, got ${typeName(v)}`);
  }
}

function isIp(value: unknown): boolean {
  return typeof value === 'string' && (ipv4.test(value) || (value.includes(':') && ipv6.test(value)));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a mapping' : `${typeof value} ${JSON.stringify(value)}`;
}
