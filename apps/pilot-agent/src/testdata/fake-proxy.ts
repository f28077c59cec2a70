// A stand-in for the proxy in supervision tests. It reads the admin port from the bootstrap it
// is given, and its admin API answers /ready with 503 until a test POSTs /test/go-live.
// POST /test/exit?code=N makes it exit with N. On SIGTERM it exits with
// $FAKE_PROXY_SIGTERM_EXIT, or ignores the signal when that is "ignore".
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const args = process.argv.slice(2);
const bootstrap = JSON.parse(readFileSync(args[args.indexOf('-c') + 1], 'utf8'));
const adminPort: number = bootstrap.admin.address.socket_address.port_value;
let live = false;

const admin = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://admin');
  if (url.pathname === '/ready') {
    res.writeHead(live ? 200 : 503).end(live ? 'LIVE\n' : 'PRE_INITIALIZING\n');
  } else if (url.pathname === '/test/go-live' && req.method === 'POST') {
    live = true;
    res.writeHead(200).end();
  } else if (url.pathname === '/test/exit' && req.method === 'POST') {
    res.writeHead(200).end(() => process.exit(Number(url.searchParams.get('code'))));
  } else {
    res.writeHead(404).end();
  }
});

process.on('SIGTERM', () => {
  process.stdout.write('fake-proxy: got SIGTERM\n');
  if (process.env.FAKE_PROXY_SIGTERM_EXIT !== 'ignore') process.exit(Number(process.env.FAKE_PROXY_SIGTERM_EXIT ?? 0));
});

admin.listen(adminPort, '127.0.0.1', () => {
  process.stdout.write(`fake-proxy: args ${args.join(' ')}\nfake-proxy: admin on ${adminPort}\n`);
});
