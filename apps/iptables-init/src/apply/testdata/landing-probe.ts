// A listener for the traffic tests, run inside a test's network namespace:
//   landing-probe.ts HOST:PORT=NAME ...
// answers each connection with JSON: the NAME of the listener it landed on and its original
// destination ("address:port", or the error reading it); prints
// "ready" once it listens on every address.
import { createServer, type Socket } from 'node:net';
import { originalDestination } from '@mizzen/net';

function original(socket: Socket): string {
  try {
    const { address, port } = originalDestination(socket);
    return `${address}:${port}`;
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
}

const addresses = process.argv.slice(2);
let listening = 0;
for (const arg of addresses) {
  const [address, name] = arg.split('=');
  const at = address.lastIndexOf(':');
  createServer((socket) => socket.end(JSON.stringify({ at: name, original: original(socket) }))).listen(Number(address.slice(at + 1)), address.slice(0, at), () => {
    if (++listening === addresses.length) process.stdout.write('ready\n');
  });
}
