import { ConfigError } from './config-error.ts';
import { asObject, oneOf, onlyFields, optionalInteger, type JsonObject } from './config-reader.ts';

const DENOMINATORS = { HUNDRED: 100, TEN_THOUSAND: 10_000, MILLION: 1_000_000 } as const;

/** A FractionalPercent ({ numerator, denominator }) as a share between 0 and 1. Envoy caps a
 *  numerator above its denominator at 100%; an absent numerator is 0. */
export function compileFractionalPercent(value: unknown, path: string): number {
  const obj = asObject(value, path);
  onlyFields(obj, path, ['numerator', 'denominator']);
  const numerator = optionalInteger(obj, 'numerator', path, 0, 0xffffffff) ?? 0;
  const denominator = DENOMINATORS[oneOf(obj, 'denominator', path, ['HUNDRED', 'TEN_THOUSAND', 'MILLION'], 'HUNDRED')];
  return Math.min(1, numerator / denominator);
}

/** A RuntimeFractionalPercent: with no runtime layer, its default_value is what applies. */
export function compileRuntimeFraction(obj: JsonObject, key: string, path: string): number | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  const rpath = `${path}.${key}`;
  const runtime = asObject(value, rpath);
  onlyFields(runtime, rpath, ['default_value', 'runtime_key']);
  if (runtime.default_value === undefined) throw new ConfigError(`${rpath}.default_value`, 'required');
  return compileFractionalPercent(runtime.default_value, `${rpath}.default_value`);
}
