// Fingerprints of generated resources, to push only what changed. Generators share objects
// among proxies and across pushes (an outbound cluster, a load assignment, a scope's routes), so
// each object's fingerprint is taken once; a proxy keeps a short digest per type, not the JSON.
import { createHash } from 'node:crypto';
import type { JsonObject } from '@mizzen/xds';

const digests = new WeakMap<JsonObject, string>();

/** A digest of one resource's JSON, worked out once per object. */
export function resourceDigest(resource: JsonObject): string {
  let digest = digests.get(resource);
  if (digest === undefined) {
    digest = createHash('sha1').update(JSON.stringify(resource)).digest('base64');
    digests.set(resource, digest);
  }
  return digest;
}

/** A digest of a whole response: equal when every resource, in order, is. */
export function responseDigest(resources: readonly JsonObject[]): string {
  const hash = createHash('sha1');
  for (const resource of resources) hash.update(resourceDigest(resource));
  return hash.digest('base64');
}

/**
 * Resources of equal content made one object, per push. Generators build a proxy's listeners
 * and inbound clusters for that proxy, yet many proxies get the same ones; replacing each by
 * the first object of equal content lets the ADS server encode it once for all of them. The
 * digest this costs is taken anyway, to tell what changed. Keyed by the push context, so a
 * table lives as long as its push.
 */
const internedByPush = new WeakMap<object, Map<string, JsonObject>>();

export function interned(push: object, resources: JsonObject[]): JsonObject[] {
  let table = internedByPush.get(push);
  if (!table) {
    table = new Map();
    internedByPush.set(push, table);
  }
  return resources.map((resource) => {
    const digest = resourceDigest(resource);
    const known = table.get(digest);
    if (known) return known;
    table.set(digest, resource);
    return resource;
  });
}
