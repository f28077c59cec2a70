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
