// Envoy's v3 protos, loaded once with protobufjs from the trees that @grpc/grpc-js-xds ships.
// Field names keep their proto spelling (snake_case), the spelling of Envoy's JSON.
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { XdsError } from '../xds-error.ts';

const require = createRequire(import.meta.url);
const depsDir = join(dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
// protobufjs bundles the common well-known types but not descriptor.proto, which it ships as a file.
const protobufjsDir = dirname(require.resolve('protobufjs/package.json'));
// Mizzen's own protos (Istio's messages that Envoy's trees do not have, such as NDS).
const ownProtosDir = fileURLToPath(new URL('../../../../protos', import.meta.url));

/** Where imports like "envoy/config/core/v3/base.proto" are looked up, in order. */
export const includeDirs: readonly string[] = [
  join(depsDir, 'envoy-api'),
  join(depsDir, 'xds'),
  join(depsDir, 'googleapis'),
  join(depsDir, 'protoc-gen-validate'),
  protobufjsDir,
  ownProtosDir,
];

/** The files Mizzen needs up front; each pulls in what it imports. */
const entryFiles: readonly string[] = [
  'envoy/config/bootstrap/v3/bootstrap.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/extensions/transport_sockets/tls/v3/tls.proto',
  'envoy/extensions/transport_sockets/tls/v3/secret.proto',
  'envoy/extensions/transport_sockets/raw_buffer/v3/raw_buffer.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto',
  'envoy/extensions/filters/network/direct_response/v3/config.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/filters/http/fault/v3/fault.proto',
  'envoy/extensions/filters/listener/original_dst/v3/original_dst.proto',
  'envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.proto',
  'envoy/extensions/filters/listener/http_inspector/v3/http_inspector.proto',
  'envoy/service/discovery/v3/discovery.proto',
  'envoy/service/discovery/v3/ads.proto',
  'envoy/admin/v3/config_dump.proto',
  'envoy/admin/v3/config_dump_shared.proto',
  'envoy/config/core/v3/address.proto',
  'envoy/config/core/v3/base.proto',
  'envoy/config/core/v3/config_source.proto',
  'google/protobuf/any.proto',
  'google/protobuf/duration.proto',
  'google/protobuf/timestamp.proto',
  'google/protobuf/struct.proto',
  'google/protobuf/wrappers.proto',
  'google/protobuf/empty.proto',
  'google/protobuf/field_mask.proto',
  'istio/networking/nds/v1/nds.proto',
];

const loadOptions = { keepCase: true };

let cachedRoot: protobuf.Root | undefined;
/** Files loaded on demand that resolved cleanly; a rebuilt Root loads them again. */
const extraFiles: string[] = [];
/** Package folders that failed to load (an import missing from the trees), not retried. */
const failedFolders = new Set<string>();
/** Type names known not to exist, so repeated bad input costs no disk access. */
const missingTypes = new Set<string>();
const maxMissingTypes = 1000;
/** Types already looked up, by full name; emptied when the Root is rebuilt. */
const found = new Map<string, protobuf.Type>();

function findInIncludes(file: string): string | null {
  for (const dir of includeDirs) {
    const candidate = join(dir, file);
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

function buildRoot(): protobuf.Root {
  const root = new protobuf.Root();
  // Imports name files relative to an include dir, never relative to the importing file.
  root.resolvePath = (_origin, target) => findInIncludes(target) ?? target;
  return root.loadSync([...entryFiles, ...extraFiles], loadOptions);
}

/** The shared Root with Envoy's types; loaded on first use (about 150 ms), then cached. */
export function protoRoot(): protobuf.Root {
  cachedRoot ??= buildRoot();
  return cachedRoot;
}

/** Lets the Root go (about 15 MB of heap once parsed) in a process that has checked all the
 *  configuration it will ever get, such as a proxy on a static bootstrap. The next lookup loads
 *  it again, so calling this is never wrong, only slow when it was not the last use. */
export function releaseProtoRoot(): void {
  cachedRoot = undefined;
  found.clear();
}

/** "type.googleapis.com/envoy.config.cluster.v3.Cluster" -> "envoy.config.cluster.v3.Cluster". */
export function typeNameOf(typeOrUrl: string): string {
  const slash = typeOrUrl.lastIndexOf('/');
  return (slash >= 0 ? typeOrUrl.slice(slash + 1) : typeOrUrl).replace(/^\./, '');
}

/** The folder a type's proto package lives in: "envoy.a.v3.B" -> "envoy/a/v3" (or a parent for nested types). */
function packageFolderOf(typeName: string): { relDir: string; files: string[] } | null {
  const parts = typeName.split('.');
  for (let cut = parts.length - 1; cut > 0; cut--) {
    const relDir = parts.slice(0, cut).join('/');
    for (const dir of includeDirs) {
      const full = join(dir, relDir);
      if (!existsSync(full)) continue;
      const files = readdirSync(full)
        .filter((f) => f.endsWith('.proto'))
        .map((f) => `${relDir}/${f}`);
      if (files.length > 0) return { relDir, files };
    }
  }
  return null;
}

/** Loads the package folder of a type not loaded yet; true when something new was loaded. */
function loadPackageOf(typeName: string): boolean {
  const folder = packageFolderOf(typeName);
  if (!folder || failedFolders.has(folder.relDir)) return false;
  const fresh = folder.files.filter((file) => !extraFiles.includes(file) && !entryFiles.includes(file));
  if (fresh.length === 0) return false;
  try {
    protoRoot().loadSync(fresh, loadOptions);
    extraFiles.push(...fresh);
    return true;
  } catch {
    // A failed load leaves unresolved types behind in the Root; start again without the folder.
    failedFolders.add(folder.relDir);
    cachedRoot = buildRoot();
    found.clear();
    return false;
  }
}

function tryLookup(root: protobuf.Root, name: string): protobuf.Type | null {
  const found = root.lookup(name);
  return found instanceof protobuf.Type ? found : null;
}

/** The message type for a full name or type URL; loads its package on demand. */
export function lookupMessage(typeOrUrl: string): protobuf.Type {
  const name = typeNameOf(typeOrUrl);
  const known = found.get(name);
  if (known) return known;
  let type = tryLookup(protoRoot(), name);
  if (!type && !missingTypes.has(name) && /^[A-Za-z_][\w.]*$/.test(name) && loadPackageOf(name)) {
    type = tryLookup(protoRoot(), name);
  }
  if (!type) {
    if (missingTypes.size >= maxMissingTypes) missingTypes.clear();
    missingTypes.add(name);
    throw new XdsError(`unknown message type "${typeOrUrl}"`);
  }
  found.set(name, type);
  return type;
}

/** The message type, or null when it is unknown (for callers that report their own error). */
export function findMessage(typeOrUrl: string): protobuf.Type | null {
  try {
    return lookupMessage(typeOrUrl);
  } catch {
    return null;
  }
}
