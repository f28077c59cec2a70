import type { Server } from 'node:http';
import { formatHostPort } from './bootstrap/discovery-address.ts';
import type { AgentConfig } from './cli/command-line.ts';
import { DnsProxy } from './dns/dns-proxy.ts';
import { buildLookupTable } from './dns/name-table.ts';
import { readResolvConf } from './dns/resolv-conf.ts';
import { log } from './log.ts';
import type { AgentMetrics } from './metrics/agent-metrics.ts';
import { runAppProbe } from './status/app-probers.ts';
import { mergedMetrics, scrape } from './status/merged-metrics.ts';
import type { Readiness } from './status/readiness.ts';
import { startStatusServer } from './status/status-server.ts';
import { XdsProxy } from './xds-proxy/xds-proxy.ts';

/** Everything the agent serves beside the proxy; closed together when the agent ends. */
export interface AgentServers {
  close(): Promise<void>;
}

/**
 * Starts, before any proxy runs (so that a taken port or a bad socket path fails first):
 * readiness on the status port, the agent's own port (merged metrics, app probes), the local
 * xDS proxy, and the DNS proxy fed by the name table that arrives on the proxy's stream.
 */
export async function startAgentServers(config: AgentConfig, readiness: () => Promise<Readiness>, metrics: AgentMetrics, discoveryIp: string): Promise<AgentServers> {
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const closer of closers.splice(0).reverse()) await closer().catch(() => {});
  };
  try {
    closers.push(closeServer(await startStatusServer(config.statusPort, readiness)));
    closers.push(
      closeServer(
        await startStatusServer(config.agentPort, {
          readiness,
          metrics: () =>
            mergedMetrics([
              { name: 'proxy', scrape: () => scrape(config.adminPort, '/stats/prometheus') },
              ...(config.appMetrics ? [{ name: 'app', scrape: () => scrape(config.appMetrics!.port, config.appMetrics!.path) }] : []),
              { name: 'agent', scrape: async () => agentPage(metrics) },
            ]),
          appProbe: (path) => {
            const probe = config.appProbers.get(path);
            return probe && (() => runAppProbe(probe));
          },
        }),
      ),
    );
    const dns = config.dns ? await startDns(config, metrics) : undefined;
    if (dns) closers.push(() => dns.close());
    if (config.xdsSocket) {
      const upstream = formatHostPort({ host: discoveryIp, port: config.discovery.port });
      const onNameTable = dns && ((table: unknown, version: string) => {
        dns.update(buildLookupTable(table, config.identity.namespace));
        log('info', `dns: name table ${version} with ${dns.nameCount} names`);
      });
      const xds = await XdsProxy.start({ socketPath: config.xdsSocket, upstream, onNameTable, metrics, log });
      closers.push(() => xds.close());
      log('info', `xds proxy on ${config.xdsSocket} to ${upstream}`);
    } else if (dns) {
      log('warn', 'dns: the name table comes on the local xDS proxy, which is off (--no-xds-proxy): every name goes upstream');
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { close };
}

async function startDns(config: AgentConfig, metrics: AgentMetrics): Promise<DnsProxy> {
  const { address, resolvConf } = config.dns!;
  const conf = await readResolvConf(resolvConf);
  if (conf.nameservers.length === 0) log('warn', `dns: ${resolvConf} names no nameserver: names outside the mesh will fail`);
  const upstreams = conf.nameservers.map((host) => ({ host, port: 53 }));
  const dns = await DnsProxy.start({ host: address.host, port: address.port, upstreams, searchDomains: conf.searchDomains, metrics, log });
  log('info', `dns proxy on ${formatHostPort(address)} (udp, tcp), upstream ${conf.nameservers.join(', ') || 'none'}`);
  return dns;
}

function agentPage(metrics: AgentMetrics): string {
  metrics.set('istio_agent_process_resident_memory_bytes', 'Resident memory of the agent process', process.memoryUsage().rss);
  metrics.set('istio_agent_uptime_seconds', 'Seconds since the agent started', Math.floor(process.uptime()));
  return metrics.format();
}

function closeServer(server: Server): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
}
