import { createServer, type Server, type Socket } from 'node:net';
import { createInterface } from 'node:readline';

/** Answers each line a client sends with the same line, prefixed by `prefix` and a space
 *  (`hello` comes back as `one hello` from a server started with prefix `one`). */
export function createEchoServer(prefix: string): Server {
  return createServer((socket) => echoLines(socket, prefix));
}

function echoLines(socket: Socket, prefix: string): void {
  // A client that goes away mid-line is no error of the server's.
  socket.on('error', () => socket.destroy());
  const lines = createInterface({ input: socket, crlfDelay: Infinity });
  lines.on('line', (line) => {
    if (socket.writable) socket.write(`${prefix} ${line}\n`);
  });
  lines.on('close', () => socket.end());
}
