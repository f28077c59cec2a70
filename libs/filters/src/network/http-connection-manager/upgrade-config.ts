import { ConfigError } from '../../config-error.ts';
import { asObject, onlyFields, optionalArray, optionalBoolean, requiredString, type JsonObject } from '../../config-reader.ts';

/** upgrade_configs (of the connection manager or a route) as type to enabled. Only WebSocket
 *  style upgrades (a 101 and then raw bytes both ways) are implemented. */
export function compileUpgradeConfigs(obj: JsonObject, path: string): Map<string, boolean> {
  const upgrades = new Map<string, boolean>();
  optionalArray(obj, 'upgrade_configs', path).forEach((u, i) => {
    const upath = `${path}.upgrade_configs[${i}]`;
    const uo = asObject(u, upath);
    onlyFields(uo, upath, ['upgrade_type', 'enabled']);
    const type = requiredString(uo, 'upgrade_type', upath).toLowerCase();
    if (type === 'connect') throw new ConfigError(`${upath}.upgrade_type`, 'CONNECT is not supported by this proxy');
    upgrades.set(type, optionalBoolean(uo, 'enabled', upath) ?? true);
  });
  return upgrades;
}
