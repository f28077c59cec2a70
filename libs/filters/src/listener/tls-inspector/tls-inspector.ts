import type { Socket } from 'node:net';
import { onlyFields, type JsonObject } from '../../config-reader.ts';
import type { Counter, StatsStore } from '../../stats.ts';
import { registerListenerFilter, type ConnectionInfo, type InspectOutcome, type ListenerFilter } from '../listener-filter.ts';
import { peek } from '../peek.ts';
import { parseClientHello } from './client-hello.ts';

export const TLS_INSPECTOR_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector';

interface TlsInspectorStats {
  readonly tlsFound: Counter;
  readonly tlsNotFound: Counter;
  readonly sniFound: Counter;
  readonly sniNotFound: Counter;
  readonly alpnFound: Counter;
  readonly alpnNotFound: Counter;
}

/**
 * envoy.filters.listener.tls_inspector: reads the ClientHello (leaving it for the TLS
 * handshake) and tells the filter chain match the transport ("tls" or "raw_buffer"), the SNI
 * and the ALPN protocols offered.
 */
class TlsInspector implements ListenerFilter {
  private readonly stats: TlsInspectorStats;

  constructor(stats: TlsInspectorStats) {
    this.stats = stats;
  }

  async onAccept(socket: Socket, info: ConnectionInfo, timeoutMs: number): Promise<InspectOutcome> {
    const seen = { verdict: parseClientHello(Buffer.alloc(0)) };
    const { outcome } = await peek(socket, (data) => (seen.verdict = parseClientHello(data)).kind !== 'need-more', timeoutMs);
    if (outcome !== 'continue') return outcome;
    const verdict = seen.verdict;
    if (verdict.kind !== 'tls') {
      this.stats.tlsNotFound.inc();
      if (info.transportProtocol === '') info.transportProtocol = 'raw_buffer';
      return 'continue';
    }
    this.stats.tlsFound.inc();
    info.transportProtocol = 'tls';
    info.serverName = verdict.serverName;
    (verdict.serverName ? this.stats.sniFound : this.stats.sniNotFound).inc();
    (verdict.alpn.length > 0 ? this.stats.alpnFound : this.stats.alpnNotFound).inc();
    if (verdict.alpn.length > 0) info.applicationProtocols = verdict.alpn;
    return 'continue';
  }
}

registerListenerFilter(TLS_INSPECTOR_TYPE_URL, (config: JsonObject, stats: StatsStore, path: string) => {
  // enable_ja3_fingerprinting only adds a fingerprint Mizzen does not use; refuse it rather than ignore it.
  onlyFields(config, path, ['@type']);
  const c = (name: string): Counter => stats.counter(`tls_inspector.${name}`);
  return new TlsInspector({
    tlsFound: c('tls_found'), tlsNotFound: c('tls_not_found'), sniFound: c('sni_found'), sniNotFound: c('sni_not_found'),
    alpnFound: c('alpn_found'), alpnNotFound: c('alpn_not_found'),
  });
});
