import type { Socket } from 'node:net';
import { NetError } from './ip-command.ts';

/** The part of Node's internal TCP handle we read: its file descriptor. */
interface HandleWithFd {
  fd?: unknown;
}

/** The file descriptor under a connected TCP socket. Node keeps it on the socket's internal
 *  handle; there is no public way to reach it. */
export function socketFd(socket: Socket): number {
  const handle = (socket as unknown as { _handle?: HandleWithFd | null })._handle;
  const fd = handle?.fd;
  if (typeof fd !== 'number' || fd < 0) {
    throw new NetError('socket has no file descriptor: it is closed, not yet connected, or not a TCP socket');
  }
  return fd;
}
