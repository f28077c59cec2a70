// A server for capture tests, run inside the test's network namespace:
//   capture-probe.ts HOST:PORT=NAME ...
// answers each connection with NAME, and prints "ready" once it listens on every address.
import { createServer } from 'node:net';

const addresses = process.argv.slice(2);
let listening = 0;
for (const arg of addresses) {
  const [address, name] = arg.split('=');
  const at = address.lastIndexOf(':');
  createServer((socket) => socket.end(name)).listen(Number(address.slice(at + 1)), address.slice(0, at), () => {
    if (++listening === addresses.length) process.stdout.write('ready\n');
  });
}
