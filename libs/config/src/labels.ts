// Kubernetes' label syntax, which Istio checks in selectors and workload labels: a key is an
// optional DNS-subdomain prefix and "/", then a name of at most 63 characters; a value is empty
// or such a name.
import { map, string, type Check, type Fail } from './istio-schema.ts';

const labelName = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function checkLabelKey(key: string, at: string, fail: Fail): void {
  if (key === '') fail(at, 'an empty label key is not allowed');
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !dnsSubdomain.test(prefix))) fail(`${at}.${key}`, 'a label key prefix must be a DNS subdomain');
  if (name.length > 63 || !labelName.test(name)) fail(`${at}.${key}`, 'a label key must be at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit');
}

export const labelValue: Check = (value, at, fail) => {
  string(value, at, fail);
  const text = value as string;
  if (text !== '' && (text.length > 63 || !labelName.test(text))) fail(at, 'a label value must be empty or at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit');
};

/** A map of labels, each key and value in Kubernetes' syntax. */
export const labels: Check = map(labelValue, checkLabelKey);
