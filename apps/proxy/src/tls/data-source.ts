import { readFileSync } from 'node:fs';
import { ConfigError, asObject, onlyFields, type JsonObject } from '@mizzen/filters';

/**
 * An Envoy DataSource (a certificate, key or CA bundle): `filename`, `inline_string`,
 * `inline_bytes` (base64) or `environment_variable`. Files are read when the config is loaded,
 * so a missing file rejects the config that names it.
 */
export function readDataSource(value: unknown, path: string): string {
  const source: JsonObject = asObject(value, path);
  onlyFields(source, path, ['filename', 'inline_string', 'inline_bytes', 'environment_variable']);
  const keys = Object.keys(source).filter((k) => source[k] !== undefined && source[k] !== null);
  if (keys.length !== 1) throw new ConfigError(path, 'exactly one of filename, inline_string, inline_bytes, environment_variable is required');
  const key = keys[0];
  const raw = source[key];
  if (typeof raw !== 'string') throw new ConfigError(`${path}.${key}`, 'must be a string');
  switch (key) {
    case 'filename':
      try {
        return readFileSync(raw, 'utf8');
      } catch (err) {
        throw new ConfigError(`${path}.filename`, `cannot read "${raw}": ${(err as Error).message}`);
      }
    case 'inline_bytes':
      return Buffer.from(raw, 'base64').toString('utf8');
    case 'environment_variable': {
      const env = process.env[raw];
      if (env === undefined) throw new ConfigError(`${path}.environment_variable`, `"${raw}" is not set`);
      return env;
    }
    default:
      return raw;
  }
}
