import type { UpstreamHost } from '@mizzen/filters';
import type { UpstreamConnection } from './upstream-connection.ts';

/** An endpoint and its idle keep-alive connections. Hosts are kept across EDS updates by
 *  address, so their pools survive a reassignment. */
export class Host implements UpstreamHost {
  readonly address: string;
  readonly port: number;
  readonly key: string;
  activeRequests = 0;
  readonly idle: UpstreamConnection[] = [];

  constructor(address: string, port: number) {
    this.address = address;
    this.port = port;
    this.key = hostKey(address, port);
  }

  /** Closes idle connections (the host left the cluster). */
  closeIdle(): void {
    for (const c of this.idle.splice(0)) c.socket.destroy();
  }
}

export function hostKey(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
