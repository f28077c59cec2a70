// Istio's Gateway (networking.istio.io v1, v1beta1 and v1alpha3): the ports a gateway proxy opens
// and the hosts it serves there. Checked as Istio checks it.
import { bool, host as hostName, list, message, oneOfValues, portNumber, string, stringMap, type Check, type Fail } from './istio-schema.ts';
import type { KubeObject } from './kubernetes-types.ts';

export type ServerTLSMode = 'PASSTHROUGH' | 'SIMPLE' | 'MUTUAL' | 'AUTO_PASSTHROUGH' | 'ISTIO_MUTUAL' | 'OPTIONAL_MUTUAL';

export interface GatewayPort {
  number: number;
  protocol: string;
  name: string;
  targetPort?: number;
}

export interface ServerTLSSettings {
  httpsRedirect?: boolean;
  mode?: ServerTLSMode;
  serverCertificate?: string;
  privateKey?: string;
  caCertificates?: string;
  caCrl?: string;
  credentialName?: string;
  credentialNames?: string[];
  subjectAltNames?: string[];
  verifyCertificateSpki?: string[];
  verifyCertificateHash?: string[];
  minProtocolVersion?: string;
  maxProtocolVersion?: string;
  cipherSuites?: string[];
}

export interface Server {
  port: GatewayPort;
  bind?: string;
  hosts: string[];
  tls?: ServerTLSSettings;
  defaultEndpoint?: string;
  name?: string;
}

export interface GatewaySpec {
  servers: Server[];
  selector?: Record<string, string>;
}

export interface Gateway extends KubeObject {
  kind: 'Gateway';
  spec: GatewaySpec;
}

/** The protocols Istio accepts on a port, in the case Istio writes them (matching ignores case). */
export const portProtocols = ['HTTP', 'HTTPS', 'GRPC', 'GRPC-WEB', 'HTTP2', 'MONGO', 'TCP', 'TLS', 'UDP'];

/** A port of a Gateway or ServiceEntry: number, protocol and name are all required. */
export const istioPort: Check = message({ number: portNumber, protocol: string, name: string, targetPort: portNumber }, (value, at, fail) => {
  if (value.number === undefined) fail(`${at}.number`, 'required');
  if (typeof value.protocol !== 'string' || !portProtocols.includes(value.protocol.toUpperCase())) {
    fail(`${at}.protocol`, `must be one of ${portProtocols.join(', ')}, got ${JSON.stringify(value.protocol)}`);
  }
  if (typeof value.name !== 'string' || value.name === '') fail(`${at}.name`, 'required');
});

const tlsVersions = ['TLS_AUTO', 'TLSV1_0', 'TLSV1_1', 'TLSV1_2', 'TLSV1_3'];

const serverTls: Check = message(
  {
    httpsRedirect: bool,
    mode: oneOfValues(['PASSTHROUGH', 'SIMPLE', 'MUTUAL', 'AUTO_PASSTHROUGH', 'ISTIO_MUTUAL', 'OPTIONAL_MUTUAL']),
    serverCertificate: string,
    privateKey: string,
    caCertificates: string,
    caCrl: string,
    credentialName: string,
    credentialNames: list(string),
    tlsCertificates: list(message({ serverCertificate: string, privateKey: string, caCertificates: string })),
    subjectAltNames: list(string),
    verifyCertificateSpki: list(string),
    verifyCertificateHash: list(string),
    minProtocolVersion: oneOfValues(tlsVersions),
    maxProtocolVersion: oneOfValues(tlsVersions),
    cipherSuites: list(string),
  },
  (value, at, fail) => {
    const terminates = value.mode === 'SIMPLE' || value.mode === 'MUTUAL' || value.mode === 'OPTIONAL_MUTUAL';
    const hasFiles = value.serverCertificate !== undefined && value.privateKey !== undefined;
    const hasCredential = value.credentialName !== undefined || (Array.isArray(value.credentialNames) && value.credentialNames.length > 0) || Array.isArray(value.tlsCertificates);
    if (terminates && !hasFiles && !hasCredential) fail(at, `mode ${value.mode} needs a credentialName, or serverCertificate and privateKey`);
    if (value.mode === 'MUTUAL' && !hasCredential && value.caCertificates === undefined) fail(`${at}.caCertificates`, 'required for MUTUAL without a credentialName');
  },
);

/** A Gateway host: "host", "*", or "namespace/host" to take only that namespace's routes. */
const gatewayHost: Check = (value: unknown, at: string, fail: Fail) => {
  if (typeof value !== 'string') fail(at, `must be a string, got ${JSON.stringify(value)}`);
  const slash = value.indexOf('/');
  const namespace = slash >= 0 ? value.slice(0, slash) : undefined;
  if (namespace !== undefined && namespace !== '.' && namespace !== '*' && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace)) {
    fail(at, `the namespace before "/" must be ".", "*" or a namespace name, got ${JSON.stringify(namespace)}`);
  }
  hostName(value.slice(slash + 1), at, fail);
};

const server: Check = message(
  { port: istioPort, bind: string, hosts: list(gatewayHost), tls: serverTls, defaultEndpoint: string, name: string },
  (value, at, fail) => {
    if (value.port === undefined) fail(`${at}.port`, 'required');
    if (!Array.isArray(value.hosts) || value.hosts.length === 0) fail(`${at}.hosts`, 'required: at least one host');
    const protocol = String((value.port as GatewayPort).protocol).toUpperCase();
    if ((protocol === 'HTTPS' || protocol === 'TLS') && value.tls === undefined) fail(`${at}.tls`, `required when the port protocol is ${protocol}`);
    // A plain text port may only redirect to HTTPS, as Istio checks it.
    const tls = value.tls as { httpsRedirect?: boolean; mode?: string } | undefined;
    if (protocol !== 'HTTPS' && protocol !== 'TLS' && tls !== undefined && !tls.httpsRedirect) {
      fail(`${at}.tls`, `only httpsRedirect is allowed when the port protocol is ${protocol} (TLS settings need HTTPS or TLS)`);
    }
    // The gateway routes AUTO_PASSTHROUGH by SNI to a cluster, so there is no HTTP to speak of.
    if (tls?.mode === 'AUTO_PASSTHROUGH' && protocol !== 'TLS') fail(`${at}.tls.mode`, `AUTO_PASSTHROUGH needs protocol TLS, got ${protocol}`);
  },
);

const gatewaySpec: Check = message({ servers: list(server), selector: stringMap }, (value, at, fail) => {
  if (!Array.isArray(value.servers) || value.servers.length === 0) fail(`${at}.servers`, 'required: at least one server');
  const names = new Set<string>();
  (value.servers as Server[]).forEach((s, i) => {
    if (s.name === undefined) return;
    if (names.has(s.name)) fail(`${at}.servers[${i}].name`, `duplicate server name ${JSON.stringify(s.name)}`);
    names.add(s.name);
  });
});

export function checkGateway(object: KubeObject, fail: Fail): void {
  if (object.spec === undefined) fail('spec', 'required mapping is missing');
  gatewaySpec(object.spec, 'spec', fail);
}
