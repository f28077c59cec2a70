import { randomInt } from 'node:crypto';

// Kubernetes names a Deployment's pods DEPLOYMENT-HASH-SUFFIX: HASH identifies the pod template
// (the ReplicaSet), SUFFIX the pod. Both use an alphabet without vowels or look-alike digits, so
// that no generated name spells a word.
const safeAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

/** FNV-1a, 32 bits: small, stable, and enough to tell templates apart. */
function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** The pod-template-hash of a template: the same template always gives the same hash. */
export function podTemplateHash(template: unknown): string {
  const digits = String(fnv1a32(stableJson(template)));
  return [...digits].map((d) => safeAlphabet[d.charCodeAt(0) % safeAlphabet.length]).join('');
}

export function randomSuffix(length = 5, pick: (n: number) => number = randomInt): string {
  return Array.from({ length }, () => safeAlphabet[pick(safeAlphabet.length)]).join('');
}

export function podName(deployment: string, templateHash: string, suffix: string): string {
  return `${deployment}-${templateHash}-${suffix}`;
}

/** JSON with object keys sorted, so that key order in a manifest does not change the hash. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
