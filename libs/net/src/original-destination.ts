import type { Socket } from 'node:net';
import { nativeAddon } from './native-addon.ts';
import { socketFd } from './socket-fd.ts';
import { socketOptionError } from './socket-option-error.ts';

export interface OriginalDestination {
  address: string;
  port: number;
  family: 4 | 6;
}

/** Where a connection that iptables REDIRECTed to us was really going, as conntrack recorded
 *  it (SO_ORIGINAL_DST, or IP6T_SO_ORIGINAL_DST for IPv6). A connection that conntrack does not
 *  know (no NAT rules in its namespace) throws a NetError with code ENOENT. A tracked connection
 *  that was not redirected gives its own local address. */
export function originalDestination(socket: Socket): OriginalDestination {
  const fd = socketFd(socket);
  try {
    return nativeAddon().originalDestination(fd);
  } catch (error) {
    throw socketOptionError(error, `original destination of the connection from ${peer(socket)} to ${local(socket)}`);
  }
}

/** The SO_MARK of a connection's socket (0 when none was set). */
export function socketMark(socket: Socket): number {
  const fd = socketFd(socket);
  try {
    return nativeAddon().socketMark(fd);
  } catch (error) {
    throw socketOptionError(error, `mark of the connection from ${peer(socket)} to ${local(socket)}`);
  }
}

const peer = (socket: Socket) => `${socket.remoteAddress}:${socket.remotePort}`;
const local = (socket: Socket) => `${socket.localAddress}:${socket.localPort}`;
