// Field paths in error messages: "Cluster.load_assignment.endpoints[0].lb_endpoints[1]".
import { XdsError } from '../xds-error.ts';

export function fieldPath(parent: string, field: string): string {
  return `${parent}.${field}`;
}

export function indexPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}

export function keyPath(parent: string, key: string): string {
  return `${parent}[${JSON.stringify(key)}]`;
}

export function fail(path: string, reason: string): never {
  throw new XdsError(`${path}: ${reason}`);
}

/** A short rendering of a bad value for an error message. */
export function show(value: unknown): string {
  if (value === undefined) return 'undefined';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}
