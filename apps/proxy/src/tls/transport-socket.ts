import { ConfigError, asObject, onlyFields, optionalObject, requiredString, type JsonObject } from '@mizzen/filters';
import { compileDownstreamTlsContext, compileUpstreamTlsContext, type DownstreamTlsConfig, type UpstreamTlsConfig } from './tls-context.ts';

const RAW_BUFFER = 'type.googleapis.com/envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer';
const DOWNSTREAM_TLS = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';
const UPSTREAM_TLS = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';

/** The typed config of a `transport_socket`, or undefined for plain TCP (absent or raw_buffer). */
function typedTransport(value: unknown, path: string): { typeUrl: string; config: JsonObject } | undefined {
  if (value === undefined || value === null) return undefined;
  const obj = asObject(value, path);
  onlyFields(obj, path, ['name', 'typed_config']);
  requiredString(obj, 'name', path);
  const config = optionalObject(obj, 'typed_config', path);
  if (!config) throw new ConfigError(`${path}.typed_config`, 'required');
  const typeUrl = String(config['@type'] ?? '');
  return typeUrl === RAW_BUFFER ? undefined : { typeUrl, config };
}

/** A transport_socket that is plain, or TLS of the one context type this side takes. */
function compileTransport<T>(value: unknown, path: string, tlsType: string, compile: (config: JsonObject, path: string) => T): T | undefined {
  const typed = typedTransport(value, path);
  if (!typed) return undefined;
  if (typed.typeUrl !== tlsType) throw new ConfigError(`${path}.typed_config`, `unsupported transport socket "${typed.typeUrl}"`);
  return compile(typed.config, `${path}.typed_config`);
}

/** A filter chain's transport_socket: TLS (DownstreamTlsContext) or plain. */
export function compileDownstreamTransport(value: unknown, path: string): DownstreamTlsConfig | undefined {
  return compileTransport(value, path, DOWNSTREAM_TLS, compileDownstreamTlsContext);
}

/** A cluster's transport_socket: TLS (UpstreamTlsContext) or plain. */
export function compileUpstreamTransport(value: unknown, path: string): UpstreamTlsConfig | undefined {
  return compileTransport(value, path, UPSTREAM_TLS, compileUpstreamTlsContext);
}

/** One of a cluster's transport_socket_matches: endpoints whose `envoy.transport_socket_match`
 *  metadata holds every key of `match` use its transport socket (undefined: plain TCP). */
export interface TransportSocketMatch {
  readonly name: string;
  readonly match: JsonObject;
  readonly tls: UpstreamTlsConfig | undefined;
}

export function compileTransportSocketMatches(value: unknown, path: string): TransportSocketMatch[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ConfigError(path, 'must be a list');
  return value.map((m, i) => {
    const mpath = `${path}[${i}]`;
    const obj = asObject(m, mpath);
    onlyFields(obj, mpath, ['name', 'match', 'transport_socket']);
    if (obj.transport_socket === undefined) throw new ConfigError(`${mpath}.transport_socket`, 'required');
    return {
      name: requiredString(obj, 'name', mpath),
      match: optionalObject(obj, 'match', mpath) ?? {},
      tls: compileUpstreamTransport(obj.transport_socket, `${mpath}.transport_socket`),
    };
  });
}
