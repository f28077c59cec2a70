import { createServer } from 'node:http';

// An app for the capture tests: `http-answerer.ts NAME PORT...` answers every request on each
// port with "NAME:PORT" and prints "ready" once all ports listen.
const [name, ...ports] = process.argv.slice(2);
let listening = 0;
for (const port of ports) {
  createServer((req, res) => res.end(`${name}:${port}`)).listen(Number(port), '0.0.0.0', () => {
    if (++listening === ports.length) process.stdout.write('ready\n');
  });
}
