import type { Socket } from 'node:net';
import { onlyFields, type JsonObject } from '../../config-reader.ts';
import type { Counter, StatsStore } from '../../stats.ts';
import { registerListenerFilter, type ConnectionInfo, type InspectOutcome, type ListenerFilter } from '../listener-filter.ts';
import { peek } from '../peek.ts';
import { detectHttp, type HttpDetection } from './http-detect.ts';

export const HTTP_INSPECTOR_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.listener.http_inspector.v3.HttpInspector';

/**
 * envoy.filters.listener.http_inspector: on a cleartext connection, tells the filter chain
 * match whether the client speaks HTTP/1.x ("http/1.1", "http/1.0") or HTTP/2 with prior
 * knowledge ("h2c"), leaving the bytes for the codec. TLS connections are left alone.
 */
class HttpInspector implements ListenerFilter {
  private readonly found: Record<Exclude<HttpDetection, 'need-more'>, Counter>;

  constructor(found: Record<Exclude<HttpDetection, 'need-more'>, Counter>) {
    this.found = found;
  }

  async onAccept(socket: Socket, info: ConnectionInfo, timeoutMs: number): Promise<InspectOutcome> {
    if (info.transportProtocol !== '' && info.transportProtocol !== 'raw_buffer') return 'continue';
    const seen = { detection: 'need-more' as HttpDetection };
    const { outcome } = await peek(socket, (data) => (seen.detection = detectHttp(data)) !== 'need-more', timeoutMs);
    if (outcome !== 'continue') return outcome;
    const found = seen.detection;
    // Not reached: 'continue' means enough was seen to decide.
    if (found === 'need-more') return 'continue';
    this.found[found].inc();
    if (found !== 'none') info.applicationProtocols = [found];
    return 'continue';
  }
}

registerListenerFilter(HTTP_INSPECTOR_TYPE_URL, (config: JsonObject, stats: StatsStore, path: string) => {
  onlyFields(config, path, ['@type']);
  const c = (name: string): Counter => stats.counter(`http_inspector.${name}`);
  return new HttpInspector({ 'http/1.0': c('http10_found'), 'http/1.1': c('http11_found'), h2c: c('http2_found'), none: c('http_not_found') });
});
