// Checks both ADS servers make on a resource their caller pushes (it is of the pushed type, and
// it packs; errors name the type and the resource), and the encoding they share.
//
// A control plane sends the same resource object to many streams: istiod builds an outbound
// cluster or a load assignment once per push and hands it to every proxy that sees it, and
// keeps an unchanged object from one push to the next. Encoding is most of the cost of a push,
// so each object is encoded once and its bytes reused. The cache is a WeakMap keyed by the
// object itself rather than an explicit cache keyed by name and version: it needs no
// invalidation (a changed resource is a new object, and a dropped object takes its bytes with
// it), and the caller does not have to invent versions. The price is a rule for callers:
// a resource object must not be changed after it has been pushed.
import { createHash } from 'node:crypto';
import { packAny, type JsonObject, type PackedAny } from '../json/codec.ts';
import { XdsError } from '../xds-error.ts';

/** The resource with its "@type" (the pushed type when it has none); throws if it is another. */
function taggedAs(typeUrl: string, resource: JsonObject, index: number): JsonObject {
  const tagged = resource['@type'] === undefined ? { '@type': typeUrl, ...resource } : resource;
  if (tagged['@type'] !== typeUrl) throw new XdsError(`push ${typeUrl}: resources[${index}] has @type ${String(tagged['@type'])}`);
  return tagged;
}

/** Packs a tagged resource into an Any; throws naming the resource (by `name`) and the field at fault. */
function packPushed(typeUrl: string, tagged: JsonObject, name: string): PackedAny {
  try {
    return packAny(tagged);
  } catch (error) {
    throw new XdsError(`push ${typeUrl}: resource ${JSON.stringify(name)}: ${(error as Error).message}`);
  }
}

/** A resource encoded once: its Any, and a version that is a digest of the encoding (equal
 *  content, equal version), which delta xDS sends per resource. */
export interface EncodedResource {
  typeUrl: string;
  any: PackedAny;
  readonly version: string;
}

const encodedResources = new WeakMap<JsonObject, EncodedResource>();

/** The encoding of a pushed resource, worked out the first time this object is pushed and
 *  reused after; throws as taggedAs and packPushed do. */
export function encodePushed(typeUrl: string, resource: JsonObject, index: number, name: string): EncodedResource {
  const cached = encodedResources.get(resource);
  if (cached && cached.typeUrl === typeUrl) return cached;
  const any = packPushed(typeUrl, taggedAs(typeUrl, resource, index), name);
  const encoded = lazyVersion(typeUrl, any);
  encodedResources.set(resource, encoded);
  return encoded;
}

/** Only delta streams read the version, so its digest is taken the first time one asks. */
function lazyVersion(typeUrl: string, any: PackedAny): EncodedResource {
  let version: string | undefined;
  return {
    typeUrl,
    any,
    get version() {
      version ??= createHash('sha256').update(any.value).digest('base64url').slice(0, 22);
      return version;
    },
  };
}
