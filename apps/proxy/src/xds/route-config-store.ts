import { compileRouteTable, ConfigError, type JsonObject, type RouteConfigHandle, type RouteConfigProvider, type RouteTable, type StatsStore } from '@mizzen/filters';

class Handle implements RouteConfigHandle {
  current: RouteTable | undefined;
  json: JsonObject | undefined;
  version = '';
  lastUpdated = '';
}

/**
 * Route configurations delivered by RDS, by name. Listeners hold a handle per name, so a new
 * RouteConfiguration reaches running connection managers without rebuilding them.
 */
export class RouteConfigStore implements RouteConfigProvider {
  private readonly handles = new Map<string, Handle>();
  private readonly stats: StatsStore;
  /** Called when a new name is subscribed. */
  onChange: () => void = () => {};
  /** Called after route configurations were replaced. */
  onUpdated: () => void = () => {};

  constructor(stats: StatsStore) {
    this.stats = stats;
  }

  subscribe(name: string): RouteConfigHandle {
    let handle = this.handles.get(name);
    if (!handle) {
      this.handles.set(name, (handle = new Handle()));
      this.onChange();
    }
    return handle;
  }

  names(): string[] {
    return [...this.handles.keys()].sort();
  }

  /** True when every subscribed route configuration has arrived. */
  get complete(): boolean {
    for (const h of this.handles.values()) if (!h.current) return false;
    return true;
  }

  entries(): { json: JsonObject; version: string; lastUpdated: string }[] {
    return [...this.handles.values()].filter((h) => h.json).map((h) => ({ json: h.json as JsonObject, version: h.version, lastUpdated: h.lastUpdated }));
  }

  /** Applies an RDS response; throws, changing nothing, if a route configuration is bad. */
  applyRds(resources: JsonObject[], version: string): void {
    const tables = resources.map((r, i) => {
      const table = compileRouteTable(r, `RouteConfiguration[${i}]`);
      if (table.name === '') throw new ConfigError(`RouteConfiguration[${i}].name`, 'required');
      return { table, json: r };
    });
    const now = new Date().toISOString();
    for (const { table, json } of tables) {
      const handle = this.handles.get(table.name);
      if (!handle) continue;
      handle.current = table;
      handle.json = json;
      handle.version = version;
      handle.lastUpdated = now;
    }
    this.stats.counter('http.rds.update_success').inc();
    this.onUpdated();
  }
}
