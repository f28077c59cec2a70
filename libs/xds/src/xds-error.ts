/** Any failure to understand an xDS resource or message; the message names the field path. */
export class XdsError extends Error {
  override name = 'XdsError';
}
