import type { Counter, StatsStore } from '@mizzen/filters';

/** Envoy's ssl.* counters, under a listener's or a cluster's prefix. */
export interface TlsStats {
  readonly handshake: Counter;
  readonly connectionError: Counter;
  readonly noCertificate: Counter;
  readonly failVerifyNoCert: Counter;
  readonly failVerifyError: Counter;
  readonly failVerifySan: Counter;
}

export function tlsStats(stats: StatsStore, prefix: string): TlsStats {
  return {
    handshake: stats.counter(`${prefix}ssl.handshake`),
    connectionError: stats.counter(`${prefix}ssl.connection_error`),
    noCertificate: stats.counter(`${prefix}ssl.no_certificate`),
    failVerifyNoCert: stats.counter(`${prefix}ssl.fail_verify_no_cert`),
    failVerifyError: stats.counter(`${prefix}ssl.fail_verify_error`),
    failVerifySan: stats.counter(`${prefix}ssl.fail_verify_san`),
  };
}
