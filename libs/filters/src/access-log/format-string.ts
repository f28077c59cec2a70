import { hostname } from 'node:os';
import { ConfigError } from '../config-error.ts';
import { getHeader, type HeaderList } from '../http1/headers.ts';
import { formatResponseFlags } from '../response-flags.ts';
import { formatStartTime } from './start-time.ts';
import type { StreamInfo } from './stream-info.ts';

/** One command operator: a value from the stream, or undefined when it has none ("-" in text,
 *  null in JSON). Numbers stay numbers in JSON. */
export type Operator = (info: StreamInfo) => string | number | undefined;

/** A compiled format string: literal text and operators, in order. */
export type FormatPart = string | Operator;

const HOST = hostname();

function address(host: string | undefined, port: number | undefined): string | undefined {
  if (host === undefined || host === '') return undefined;
  const bare = host.startsWith('::ffff:') ? host.slice(7) : host;
  if (port === undefined) return bare;
  return bare.includes(':') ? `[${bare}]:${port}` : `${bare}:${port}`;
}

function elapsed(info: StreamInfo, at: number): number | undefined {
  return at === 0 ? undefined : Math.round(at - info.startTime);
}

/** A request or response header, with the pseudo-headers HTTP/2 names (:method, :path, :authority). */
function requestHeader(info: StreamInfo, name: string): string | undefined {
  const request = info.request;
  if (request === undefined) return undefined;
  switch (name) {
    case ':method': return request.method;
    case ':path': return request.path;
    case ':authority': return info.authority || undefined;
    case ':scheme': return 'http';
    default: return getHeader(request.headers, name);
  }
}

function responseHeader(info: StreamInfo, name: string): string | undefined {
  if (name === ':status') return info.responseCode === 0 ? undefined : String(info.responseCode);
  const headers: HeaderList | undefined = info.responseHeaders;
  return headers === undefined ? undefined : getHeader(headers, name);
}

const SIMPLE: Record<string, Operator> = {
  RESPONSE_CODE: (i) => i.responseCode,
  RESPONSE_FLAGS: (i) => formatResponseFlags(i.responseFlags),
  RESPONSE_CODE_DETAILS: (i) => i.responseCodeDetails,
  CONNECTION_TERMINATION_DETAILS: () => undefined,
  BYTES_RECEIVED: (i) => i.bytesReceived,
  BYTES_SENT: (i) => i.bytesSent,
  DURATION: (i) => elapsed(i, i.endTime),
  REQUEST_DURATION: (i) => elapsed(i, i.requestEndTime),
  RESPONSE_DURATION: (i) => elapsed(i, i.responseStartTime),
  RESPONSE_TX_DURATION: (i) => (i.responseStartTime === 0 || i.endTime === 0 ? undefined : Math.round(i.endTime - i.responseStartTime)),
  // An HTTP stream says its protocol (HTTP/2 included); a TCP session has no request.
  PROTOCOL: (i) => (i.request === undefined ? undefined : 'protocol' in i ? String(i.protocol) : `HTTP/1.${i.request.minorVersion}`),
  UPSTREAM_HOST: (i) => (i.upstreamHost === undefined ? undefined : address(i.upstreamHost.address, i.upstreamHost.port)),
  UPSTREAM_REMOTE_ADDRESS: (i) => (i.upstreamHost === undefined ? undefined : address(i.upstreamHost.address, i.upstreamHost.port)),
  UPSTREAM_CLUSTER: (i) => i.upstreamCluster,
  // Istio's name for the cluster as configured (our clusters have no alt_stat_name).
  UPSTREAM_CLUSTER_RAW: (i) => i.upstreamCluster,
  UPSTREAM_LOCAL_ADDRESS: (i) => address(i.upstreamSocket?.localAddress, i.upstreamSocket?.localPort),
  UPSTREAM_TRANSPORT_FAILURE_REASON: (i) => i.upstreamTransportFailureReason,
  DOWNSTREAM_REMOTE_ADDRESS: (i) => address(i.connection.socket.remoteAddress, i.connection.socket.remotePort),
  DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT: (i) => address(i.connection.socket.remoteAddress, undefined),
  DOWNSTREAM_DIRECT_REMOTE_ADDRESS: (i) => address(i.connection.socket.remoteAddress, i.connection.socket.remotePort),
  DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT: (i) => address(i.connection.socket.remoteAddress, undefined),
  DOWNSTREAM_LOCAL_ADDRESS: (i) => address(i.connection.originalDstAddress, i.connection.originalDstPort),
  DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT: (i) => address(i.connection.originalDstAddress, undefined),
  DOWNSTREAM_LOCAL_PORT: (i) => i.connection.originalDstPort,
  // No TLS on the listeners yet, so never an SNI.
  REQUESTED_SERVER_NAME: () => undefined,
  ROUTE_NAME: (i) => i.routeName,
  HOSTNAME: () => HOST,
};

/** NAME(ARG):MAX (inside the percent signs), split into its parts. */
const COMMAND = /^([A-Z_]+)(?:\(([^)]*)\))?(?::(\d+))?$/;

function truncate(op: Operator, max: number | undefined): Operator {
  if (max === undefined) return op;
  return (info) => {
    const value = op(info);
    return typeof value === 'string' ? value.slice(0, max) : value;
  };
}

/** REQ(X?Y): header X, else header Y. */
function headerOperator(get: (info: StreamInfo, name: string) => string | undefined, arg: string, path: string, command: string): Operator {
  const [main, fallback, extra] = arg.toLowerCase().split('?');
  if (!main || extra !== undefined || fallback === '') throw new ConfigError(path, `%${command}(${arg})%: expected a header name, or two separated by "?"`);
  if (fallback === undefined) return (info) => get(info, main);
  return (info) => get(info, main) ?? get(info, fallback);
}

function compileCommand(text: string, path: string): Operator {
  const m = COMMAND.exec(text);
  if (!m) throw new ConfigError(path, `invalid command operator "%${text}%"`);
  const [, name, arg, maxText] = m;
  const max = maxText === undefined ? undefined : Number(maxText);
  switch (name) {
    case 'REQ': return truncate(headerOperator(requestHeader, arg ?? '', path, name), max);
    case 'RESP': return truncate(headerOperator(responseHeader, arg ?? '', path, name), max);
    case 'START_TIME': {
      const format = arg;
      return (info) => formatStartTime(performance.timeOrigin + info.startTime, format);
    }
  }
  const op = SIMPLE[name];
  if (op === undefined || arg !== undefined) {
    throw new ConfigError(path, `command operator "%${text}%" is not supported (supported: REQ, RESP, START_TIME, ${Object.keys(SIMPLE).join(', ')})`);
  }
  return truncate(op, max);
}

/** At a percent sign: NAME, an optional (ARG) that may itself hold percent signs (START_TIME
 *  formats), an optional :MAX, and the closing percent sign. */
const OPERATOR = /%([A-Z_]+(?:\([^)]*\))?(?::\d+)?)%/y;

/** Compiles an Envoy format string ("[%START_TIME%] %REQ(:METHOD)% ...") or throws naming the operator. */
export function compileFormatString(format: string, path: string): FormatPart[] {
  const parts: FormatPart[] = [];
  let literal = '';
  let i = 0;
  while (i < format.length) {
    const start = format.indexOf('%', i);
    if (start === -1) {
      literal += format.slice(i);
      break;
    }
    literal += format.slice(i, start);
    OPERATOR.lastIndex = start;
    const m = OPERATOR.exec(format);
    if (!m) throw new ConfigError(path, `invalid command operator at offset ${start} of format "${format}"`);
    if (literal !== '') parts.push(literal);
    literal = '';
    parts.push(compileCommand(m[1], path));
    i = OPERATOR.lastIndex;
  }
  if (literal !== '') parts.push(literal);
  return parts;
}

/** Text output: values as text, "-" for none. */
export function renderText(parts: readonly FormatPart[], info: StreamInfo): string {
  let out = '';
  for (const part of parts) {
    if (typeof part === 'string') out += part;
    else {
      const value = part(info);
      out += value === undefined || value === '' ? '-' : value;
    }
  }
  return out;
}

/** A JSON value of json_format: one operator alone keeps its type, anything else is text. */
export function renderJsonValue(parts: readonly FormatPart[], info: StreamInfo): string | number | null {
  if (parts.length === 1 && typeof parts[0] !== 'string') {
    const value = parts[0](info);
    return value === undefined || value === '' ? null : value;
  }
  return renderText(parts, info);
}
