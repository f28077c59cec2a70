import { createServer, isIP, type Server } from 'node:net';
import { NetError } from './ip-command.ts';
import { nativeAddon } from './native-addon.ts';
import { socketOptionError } from './socket-option-error.ts';

/** A listener for TPROXY: its socket has IP_TRANSPARENT (IPV6_TRANSPARENT for an IPv6 host),
 *  set before bind, which Node cannot do; so the kernel hands it connections addressed to any
 *  IP, and each accepted socket's local address is the connection's original destination.
 *  The socket is already listening when this returns; the server emits 'listening' soon after.
 *  Needs CAP_NET_ADMIN (or CAP_NET_RAW). */
export function listenTransparent(port: number, host = '0.0.0.0', backlog = 511): Server {
  const family = isIP(host);
  if (family === 0) throw new NetError(`transparent listener: host "${host}" is not a numeric IPv4 or IPv6 address`);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new NetError(`transparent listener: port ${port} is not an integer from 0 to 65535`);
  }
  let fd: number;
  try {
    fd = nativeAddon().listenTransparent(family as 4 | 6, host, port, backlog);
  } catch (error) {
    throw socketOptionError(error, `transparent listener on ${family === 6 ? `[${host}]` : host}:${port}`);
  }
  // Node adopts the listening socket, and closes it with the server.
  return createServer().listen({ fd });
}

/** Sets IP_TRANSPARENT (IPV6_TRANSPARENT for family 6) on a socket's file descriptor, before
 *  it is bound. */
export function setTransparent(fd: number, family: 4 | 6 = 4): void {
  try {
    nativeAddon().setTransparent(fd, family);
  } catch (error) {
    throw socketOptionError(error, `transparent socket option on fd ${fd}`);
  }
}
