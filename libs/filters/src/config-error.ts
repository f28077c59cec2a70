/** A configuration the proxy cannot accept. The message starts with the field path
 *  (e.g. "Listener.filter_chains[0].filters[0].typed_config.stat_prefix: required"). */
export class ConfigError extends Error {
  readonly path: string;
  constructor(path: string, reason: string) {
    super(`${path}: ${reason}`);
    this.name = 'ConfigError';
    this.path = path;
  }
}
