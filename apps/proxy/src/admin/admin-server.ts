import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { JsonObject } from '@mizzen/filters';
import { formatPrometheus, formatStatsText } from '../stats/stats-format.ts';
import type { StatEntry } from '../stats/stats-store.ts';
import type { ListenerManager } from '../listener/listener-manager.ts';
import type { ClusterManager } from '../upstream/cluster-manager.ts';
import { configDump, type DumpSources } from './config-dump.ts';
import { LOG_LEVELS, type ConsoleLogger, type LogLevel } from '../log/logger.ts';

/** What the admin endpoints read from, and the actions they can take. */
export interface AdminTarget extends DumpSources {
  readonly clusters: ClusterManager;
  readonly listeners: ListenerManager;
  readonly log: ConsoleLogger;
  /** "PRE_INITIALIZING", "INITIALIZING", "LIVE" or "DRAINING". */
  state(): string;
  serverInfo(): JsonObject;
  /** Every stat, summed over the workers. */
  statEntries(): Promise<StatEntry[]>;
  quit(): void;
  drainListeners(): Promise<void>;
}

type Handler = (target: AdminTarget, url: URL, res: ServerResponse) => void | Promise<void>;

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=UTF-8'): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-cache, max-age=0', 'x-content-type-options': 'nosniff' });
  res.end(body);
}

function sendJson(res: ServerResponse, value: unknown): void {
  send(res, 200, `${JSON.stringify(value, null, 2)}\n`, 'application/json');
}

function clustersText(target: AdminTarget): string {
  let out = '';
  for (const { cluster, isStatic } of target.clusters.activeEntries()) {
    const n = cluster.name;
    out += `${n}::observability_name::${n}\n${n}::added_via_api::${!isStatic}\n`;
    for (const host of cluster.hostList()) {
      const h = `${n}::${host.key}`;
      const flags = (host.activeHealthFailed ? '/failed_active_hc' : '') + (host.ejectedUntil > 0 ? '/failed_outlier_check' : '');
      out += `${h}::rq_active::${host.activeRequests}\n${h}::cx_idle::${host.idle.length}\n${h}::health_flags::${flags || 'healthy'}\n`;
    }
  }
  return out;
}

function clustersJson(target: AdminTarget): JsonObject {
  return {
    cluster_statuses: target.clusters.activeEntries().map(({ cluster, isStatic }) => ({
      name: cluster.name,
      added_via_api: !isStatic,
      host_statuses: cluster.hostList().map((h) => ({
        address: { socket_address: { address: h.address, port_value: h.port } },
        stats: [{ name: 'rq_active', type: 'GAUGE', value: String(h.activeRequests) }],
        // Ejected and health-check-failed hosts show as Envoy shows them.
        health_status: {
          eds_health_status: 'HEALTHY',
          ...(h.activeHealthFailed ? { failed_active_health_check: true } : {}),
          ...(h.ejectedUntil > 0 ? { failed_outlier_check: true } : {}),
        },
      })),
    })),
  };
}

const GET: Record<string, Handler> = {
  '/ready': (t, _u, res) => {
    const state = t.state();
    send(res, state === 'LIVE' ? 200 : 503, `${state}\n`);
  },
  '/config_dump': (t, u, res) => sendJson(res, configDump(t, u.searchParams.has('include_eds'))),
  '/stats': async (t, u, res) => {
    const entries = await t.statEntries();
    let filter: RegExp | undefined;
    const f = u.searchParams.get('filter');
    if (f) {
      try {
        filter = new RegExp(f);
      } catch {
        send(res, 400, `invalid filter regex: ${f}\n`);
        return;
      }
    }
    if (u.searchParams.get('format') === 'json') {
      sendJson(res, { stats: entries.filter((e) => !filter || filter.test(e.name)).map(({ name, value }) => ({ name, value })) });
    } else send(res, 200, formatStatsText(entries, filter));
  },
  '/stats/prometheus': async (t, _u, res) => send(res, 200, formatPrometheus(await t.statEntries()), 'text/plain; version=0.0.4'),
  '/clusters': (t, u, res) => (u.searchParams.get('format') === 'json' ? sendJson(res, clustersJson(t)) : send(res, 200, clustersText(t))),
  '/listeners': (t, u, res) => {
    const entries = t.listeners.entries().flatMap((e) => (e.version ? [{ ...e, version: e.version }] : []));
    if (u.searchParams.get('format') === 'json') {
      sendJson(res, {
        listener_statuses: entries.map((e) => ({
          name: e.name,
          local_address: { socket_address: { address: e.version.config.address, port_value: e.boundPort ?? e.version.config.port } },
        })),
      });
    } else send(res, 200, entries.map((e) => `${e.name}::${e.version.config.address}:${e.boundPort ?? e.version.config.port}\n`).join(''));
  },
  '/server_info': (t, _u, res) => sendJson(res, t.serverInfo()),
};

const POST: Record<string, Handler> = {
  '/quitquitquit': (t, _u, res) => {
    send(res, 200, 'OK\n');
    res.on('finish', () => t.quit());
  },
  '/drain_listeners': async (t, _u, res) => {
    await t.drainListeners();
    send(res, 200, 'OK\n');
  },
  '/logging': (t, u, res) => {
    const level = u.searchParams.get('level');
    if (level !== null) {
      if (!(LOG_LEVELS as readonly string[]).includes(level)) {
        send(res, 400, `unknown log level "${level}" (known: ${LOG_LEVELS.join(', ')})\n`);
        return;
      }
      t.log.level = level as LogLevel;
    }
    send(res, 200, `active loggers:\n  mizzen: ${t.log.level}\n`);
  },
};

/** The admin API (Envoy's paths and formats) on a plain node:http server: it is off the data path. */
export function startAdminServer(target: AdminTarget, address: string, port: number): Promise<Server> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://admin');
    const handler = (req.method === 'POST' ? POST : GET)[url.pathname] ?? (req.method === 'POST' ? GET : POST)[url.pathname];
    if (!handler) {
      send(res, 404, `unknown admin path ${url.pathname}; known: ${[...Object.keys(GET), ...Object.keys(POST)].sort().join(', ')}\n`);
      return;
    }
    if (POST[url.pathname] && req.method !== 'POST') {
      send(res, 405, 'This endpoint requires POST\n');
      return;
    }
    Promise.resolve()
      .then(() => handler(target, url, res))
      .catch((err: unknown) => send(res, 500, `${(err as Error).message}\n`));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
