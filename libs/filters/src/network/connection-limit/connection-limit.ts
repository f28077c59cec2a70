import { ConfigError } from '../../config-error.ts';
import { onlyFields, optionalDurationMs, optionalInteger, requiredString, type JsonObject } from '../../config-reader.ts';
import { registerNetworkFilter, type DownstreamConnection, type FilterFactoryContext, type NetworkFilter } from '../../registry.ts';
import type { Counter, Gauge } from '../../stats.ts';

export const CONNECTION_LIMIT_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.network.connection_limit.v3.ConnectionLimit';

/**
 * envoy.filters.network.connection_limit: at most max_connections open at once on the filter
 * chain; a connection past it is closed (after `delay`, so a client retrying in a loop is
 * slowed down) and counted. The limit holds per worker thread.
 */
class ConnectionLimit implements NetworkFilter {
  private readonly next: NetworkFilter;
  private readonly max: number;
  private readonly delayMs: number;
  private readonly limited: Counter;
  private readonly active: Gauge;
  private open = 0;

  constructor(next: NetworkFilter, max: number, delayMs: number, limited: Counter, active: Gauge) {
    this.next = next;
    this.max = max;
    this.delayMs = delayMs;
    this.limited = limited;
    this.active = active;
  }

  onNewConnection(connection: DownstreamConnection): void {
    const socket = connection.socket;
    if (this.open >= this.max) {
      this.limited.inc();
      if (this.delayMs === 0) socket.destroy();
      else {
        socket.pause();
        const timer = setTimeout(() => socket.destroy(), this.delayMs);
        socket.once('close', () => clearTimeout(timer));
      }
      return;
    }
    this.open++;
    this.active.inc();
    socket.once('close', () => {
      this.open--;
      this.active.dec();
    });
    this.next.onNewConnection(connection);
  }

  drain(): void {
    this.next.drain();
  }
}

export function createConnectionLimit(obj: JsonObject, context: FilterFactoryContext, path: string, next: NetworkFilter | undefined): NetworkFilter {
  onlyFields(obj, path, ['@type', 'stat_prefix', 'max_connections', 'delay', 'runtime_enabled']);
  // runtime_enabled only names a runtime key; with no runtime layer its default (on) holds.
  const max = optionalInteger(obj, 'max_connections', path, 1);
  if (max === undefined) throw new ConfigError(`${path}.max_connections`, 'required');
  const prefix = `connection_limit.${requiredString(obj, 'stat_prefix', path)}.`;
  return new ConnectionLimit(next as NetworkFilter, max, optionalDurationMs(obj, 'delay', path) ?? 0,
    context.stats.counter(`${prefix}limited_connections`), context.stats.gauge(`${prefix}active_connections`));
}

registerNetworkFilter(CONNECTION_LIMIT_TYPE_URL, createConnectionLimit, false);
