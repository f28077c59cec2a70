// A listener for the original-destination tests, run inside the test's network namespace:
//   destination-probe.ts redirect|transparent PORT HOST
// answers each connection with JSON: its local address, its original destination (or the
// error reading it) and its socket mark; prints "ready" once it listens.
import { createServer, type Server, type Socket } from 'node:net';
import { listenTransparent, originalDestination, socketMark } from '../index.ts';

const [mode, port, host] = process.argv.slice(2);

function answer(socket: Socket): void {
  let original: unknown;
  try {
    original = originalDestination(socket);
  } catch (error) {
    original = { error: (error as Error).message, code: (error as { code?: string }).code };
  }
  const local = { address: socket.localAddress, port: socket.localPort };
  socket.end(JSON.stringify({ local, original, mark: socketMark(socket) }));
}

const server: Server = mode === 'transparent' ? listenTransparent(Number(port), host) : createServer().listen(Number(port), host);
server.on('connection', answer);
server.on('listening', () => process.stdout.write('ready\n'));
