/**
 * Headers are a flat list [name, value, name, value, ...] with lowercased names: lookups
 * compare lowercased names without allocating, and the order on the wire is kept.
 */
export type HeaderList = string[];

export function getHeader(headers: HeaderList, name: string): string | undefined {
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === name) return headers[i + 1];
  return undefined;
}

export function setHeader(headers: HeaderList, name: string, value: string): void {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i] === name) {
      headers[i + 1] = value;
      removeHeader(headers, name, i + 2);
      return;
    }
  }
  headers.push(name, value);
}

export function removeHeader(headers: HeaderList, name: string, from = 0): void {
  for (let i = from; i < headers.length; ) {
    if (headers[i] === name) headers.splice(i, 2);
    else i += 2;
  }
}

/** True when a comma-separated header (Connection) lists the token, case-insensitively. */
export function hasToken(value: string | undefined, token: string): boolean {
  if (value === undefined) return false;
  if (value.length === token.length) return value.toLowerCase() === token;
  for (const part of value.split(',')) if (part.trim().toLowerCase() === token) return true;
  return false;
}
