import { arrayAt, isObject, objectAt, type JsonObject } from './json-reading.ts';

/** The resources of an Envoy ConfigDump, static and dynamic together, in dump order. */
export interface DumpSections {
  bootstrap?: JsonObject;
  /** The SecretsConfigDump as it is: its entries carry a status by the list they are in. */
  secrets?: JsonObject;
  listeners: JsonObject[];
  clusters: JsonObject[];
  routes: JsonObject[];
  endpoints: JsonObject[];
}

const dumpType = (name: string) => `type.googleapis.com/envoy.admin.v3.${name}`;

/** Where each section keeps its resources: [list field, field of the resource in an entry]. */
const sources: Record<string, [keyof Omit<DumpSections, 'bootstrap' | 'secrets'>, [string, string[]][]]> = {
  [dumpType('ListenersConfigDump')]: ['listeners', [['static_listeners', ['listener']], ['dynamic_listeners', ['active_state', 'listener']]]],
  [dumpType('ClustersConfigDump')]: ['clusters', [['static_clusters', ['cluster']], ['dynamic_active_clusters', ['cluster']]]],
  [dumpType('RoutesConfigDump')]: ['routes', [['static_route_configs', ['route_config']], ['dynamic_route_configs', ['route_config']]]],
  [dumpType('EndpointsConfigDump')]: ['endpoints', [['static_endpoint_configs', ['endpoint_config']], ['dynamic_endpoint_configs', ['endpoint_config']]]],
};

/** Reads the sections of a ConfigDump (`{ configs: [...] }`); throws naming the path of anything
 *  that does not have a dump's shape. Sections a dump does not hold come back empty. */
export function configDumpSections(dump: unknown): DumpSections {
  if (!isObject(dump)) throw new Error('config dump: expected an object with "configs"');
  if (!Array.isArray(dump.configs)) throw new Error('config dump: "configs" is missing or not a list');
  const sections: DumpSections = { listeners: [], clusters: [], routes: [], endpoints: [] };
  dump.configs.forEach((config, i) => {
    const at = `config dump: configs[${i}]`;
    const section = objectAt(config, at);
    if (!section) return;
    const type = section['@type'];
    if (type === dumpType('BootstrapConfigDump')) {
      sections.bootstrap = objectAt(section.bootstrap, `${at}.bootstrap`);
      return;
    }
    if (type === dumpType('SecretsConfigDump')) {
      sections.secrets = section;
      return;
    }
    const source = typeof type === 'string' ? sources[type] : undefined;
    if (!source) return; // scoped routes, ...: no view reads them
    const [target, lists] = source;
    for (const [listField, resourcePath] of lists) {
      arrayAt(section[listField], `${at}.${listField}`).forEach((entry, j) => {
        let value: unknown = entry;
        let path = `${at}.${listField}[${j}]`;
        for (const key of resourcePath) {
          value = objectAt(value, path)?.[key];
          path = `${path}.${key}`;
        }
        // A dynamic listener only warming (no active_state) is not serving yet: left out.
        const resource = objectAt(value, path);
        if (resource) sections[target].push(resource);
      });
    }
  });
  return sections;
}
