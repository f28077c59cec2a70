import type { JsonObject } from '../../config-reader.ts';
import type { HttpStream } from '../../http-stream.ts';
import {
  registerHttpFilter, registerPerRouteConfig, type FilterFactoryContext, type FilterStatus, type HttpFilter, type HttpFilterConfig,
  type HttpFilterPlacement,
} from '../../registry.ts';
import { ResponseFlag } from '../../response-flags.ts';
import type { Counter, Gauge } from '../../stats.ts';
import { compileFaultConfig, FAULT_TYPE_URL, type FaultConfig } from './fault-config.ts';

export interface FaultStats {
  readonly delaysInjected: Counter;
  readonly abortsInjected: Counter;
  readonly activeFaults: Gauge;
  readonly faultsOverflow: Counter;
}

/** Faults in flight per config object, for max_active_faults. */
const activeByConfig = new WeakMap<FaultConfig, number>();

function onDelayOver(filter: FaultFilter): void {
  filter.onDelayOver();
}

/**
 * envoy.filters.http.fault for one request: waits a fixed delay and/or answers with an error
 * instead of forwarding, each for its share of requests. A route's typed_per_filter_config
 * under this filter's name replaces the filter-level config.
 */
export class FaultFilter implements HttpFilter {
  private readonly name: string;
  private readonly fallback: FaultConfig;
  private readonly stats: FaultStats;
  private readonly random: () => number;
  private active: FaultConfig | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stream: HttpStream | undefined;
  private aborted = false;

  constructor(name: string, fallback: FaultConfig, stats: FaultStats, random: () => number) {
    this.name = name;
    this.fallback = fallback;
    this.stats = stats;
    this.random = random;
  }

  decodeHeaders(stream: HttpStream, _endStream: boolean): FilterStatus {
    const config = (stream.route?.perFilterConfig.get(this.name) as FaultConfig | undefined) ?? this.fallback;
    const delay = config.delay !== undefined && this.random() < config.delay.share;
    const abort = config.abort !== undefined && this.random() < config.abort.share;
    if (!delay && !abort) return 'continue';
    const inFlight = activeByConfig.get(config) ?? 0;
    if (inFlight >= config.maxActive) {
      this.stats.faultsOverflow.inc();
      return 'continue';
    }
    activeByConfig.set(config, inFlight + 1);
    this.stats.activeFaults.inc();
    this.active = config;
    this.stream = stream;
    if (delay) {
      this.stats.delaysInjected.inc();
      stream.responseFlags |= ResponseFlag.DI;
      stream.readDisable(true);
      this.timer = setTimeout(onDelayOver, config.delay?.ms, this);
      if (!abort) return 'stop';
      // The abort follows the delay, as in Envoy.
      this.aborted = true;
      return 'stop';
    }
    this.abort(stream, config);
    return 'stop';
  }

  onDelayOver(): void {
    this.timer = undefined;
    const stream = this.stream;
    const config = this.active;
    if (stream === undefined || config === undefined) return;
    if (this.aborted) {
      this.abort(stream, config);
      return;
    }
    this.release();
    stream.readDisable(false);
    stream.continueDecoding();
  }

  private abort(stream: HttpStream, config: FaultConfig): void {
    this.aborted = true;
    this.stats.abortsInjected.inc();
    stream.responseFlags |= ResponseFlag.FI;
    stream.responseCodeDetails = 'fault_filter_abort';
    const abort = config.abort;
    if (abort?.grpcStatus !== undefined) {
      stream.sendLocalReply(200, '', ['content-type', 'application/grpc', 'grpc-status', String(abort.grpcStatus), 'grpc-message', 'fault filter abort']);
    } else stream.sendLocalReply(abort?.status ?? 503, 'fault filter abort');
  }

  decodeData(_stream: HttpStream, _data: Buffer, _endStream: boolean): FilterStatus {
    // While delayed, the body passes on to be held for the filters after this one.
    return this.aborted ? 'stop' : 'continue';
  }

  onDownstreamDrain(): void {}

  private release(): void {
    const config = this.active;
    if (config === undefined) return;
    this.active = undefined;
    activeByConfig.set(config, (activeByConfig.get(config) ?? 1) - 1);
    this.stats.activeFaults.dec();
  }

  onDestroy(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.release();
    this.stream = undefined;
  }
}

export function createFaultFilter(config: JsonObject, context: FilterFactoryContext, path: string, placement: HttpFilterPlacement): HttpFilterConfig {
  const fallback = compileFaultConfig(config, path);
  const p = `http.${placement.statPrefix}.fault.`;
  const stats: FaultStats = {
    delaysInjected: context.stats.counter(`${p}delays_injected`),
    abortsInjected: context.stats.counter(`${p}aborts_injected`),
    activeFaults: context.stats.gauge(`${p}active_faults`),
    faultsOverflow: context.stats.counter(`${p}faults_overflow`),
  };
  return { terminal: false, createFilter: () => new FaultFilter(placement.name, fallback, stats, Math.random) };
}

registerHttpFilter(FAULT_TYPE_URL, createFaultFilter);
registerPerRouteConfig(FAULT_TYPE_URL, compileFaultConfig);
