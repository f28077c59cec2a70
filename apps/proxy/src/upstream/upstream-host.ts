import type { UpstreamHost } from '@mizzen/filters';
import type { Http2Client } from './http2-client.ts';
import type { UpstreamConnection } from './upstream-connection.ts';

/** An endpoint, its idle keep-alive connections and its HTTP/2 sessions. Hosts are kept across EDS updates by
 *  address, so their pools survive a reassignment. */
export class Host implements UpstreamHost {
  readonly address: string;
  readonly port: number;
  readonly key: string;
  activeRequests = 0;
  /** Its locality's priority in the cluster's last assignment. */
  priority = 0;
  readonly idle: UpstreamConnection[] = [];
  /** HTTP/2 sessions, connecting or up (draining ones leave the list). */
  readonly sessions: Http2Client[] = [];
  /** auto_config over TLS: the host chose HTTP/1.1 by ALPN, so requests to it go that way. */
  http1Only = false;
  // Outlier detection state: consecutive failures by kind, and the ejection.
  consecutive5xx = 0;
  consecutiveGateway = 0;
  consecutiveLocalOrigin = 0;
  /** performance.now() at which the ejection ends; 0 when the host is in. */
  ejectedUntil = 0;
  /** How many times the host was ejected (lowered while it behaves); multiplies the ejection time. */
  ejections = 0;
  /** Requests and failures in the current outlier detection interval: external (HTTP status)
   *  and, with split local origin errors, local (no response) apart. */
  intervalRequests = 0;
  intervalFailures = 0;
  intervalLocalRequests = 0;
  intervalLocalFailures = 0;
  /** An active health check failed it (failed_active_hc): out of load balancing. */
  activeHealthFailed = false;

  constructor(address: string, port: number) {
    this.address = address;
    this.port = port;
    this.key = hostKey(address, port);
  }

  /** Closes idle connections (the host left the cluster). */
  closeIdle(): void {
    for (const c of this.idle.splice(0)) c.socket.destroy();
    for (const s of this.sessions.splice(0)) s.drain();
  }
}

export function hostKey(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
