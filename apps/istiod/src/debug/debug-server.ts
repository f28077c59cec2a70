import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ConfigError, ConfigStore } from '@mizzen/config';
import type { DiscoveryServer } from '../xds/discovery-server.ts';
import { configDump } from './config-dump.ts';
import { configz } from './configz.ts';
import { registryz } from './registryz.ts';
import { syncz } from './syncz.ts';
import { version } from './version.ts';

export interface DebugSources {
  store: ConfigStore;
  configErrors: () => ConfigError[];
  discovery: DiscoveryServer;
}

/** istiod's debug endpoints, JSON over plain HTTP. */
export function createDebugServer(sources: DebugSources): Server {
  return createServer((request, response) => {
    try {
      route(sources, request, response);
    } catch (error) {
      reply(response, 500, { error: (error as Error).message });
    }
  });
}

function route(sources: DebugSources, request: IncomingMessage, response: ServerResponse): void {
  const url = new URL(request.url ?? '/', 'http://istiod');
  if (request.method !== 'GET') return reply(response, 405, { error: `${request.method} is not allowed; use GET` });
  switch (url.pathname) {
    case '/debug/registryz':
      return reply(response, 200, registryz(sources.discovery.pushContext));
    case '/debug/configz':
      return reply(response, 200, configz(sources.store, sources.configErrors));
    case '/debug/syncz':
      return reply(response, 200, syncz(sources.discovery));
    case '/version':
      return reply(response, 200, version());
    case '/debug/config_dump': {
      const proxyId = url.searchParams.get('proxyID');
      if (!proxyId) return reply(response, 400, { error: 'the proxyID query parameter is required' });
      const dump = configDump(sources.discovery, proxyId);
      return dump ? reply(response, 200, dump) : reply(response, 404, { error: `proxy ${proxyId} is not connected` });
    }
    case '/':
    case '/debug':
      return reply(response, 200, { endpoints: ['/debug/registryz', '/debug/configz', '/debug/syncz', '/debug/config_dump?proxyID=', '/version'] });
    default:
      return reply(response, 404, { error: `no such endpoint: ${url.pathname}` });
  }
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(`${JSON.stringify(body, null, 2)}\n`);
}
