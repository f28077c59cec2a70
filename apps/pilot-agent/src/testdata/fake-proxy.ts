// A stand-in for the proxy in supervision tests. It reads the admin port from the bootstrap it
// is given, and its admin API answers /ready with 503 until a test POSTs /test/go-live.
// POST /test/exit?code=N makes it exit with N; POST /test/connections?n=N sets the active
// connections /stats reports. POST /drain_listeners is logged. On SIGTERM it exits with
// $FAKE_PROXY_SIGTERM_EXIT, or ignores the signal when that is "ignore". With
// $FAKE_PROXY_EXIT_AT_START it exits with that code at once.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

if (process.env.FAKE_PROXY_EXIT_AT_START) {
  process.stdout.write('fake-proxy: exiting at start\n');
  process.exit(Number(process.env.FAKE_PROXY_EXIT_AT_START));
}

const args = process.argv.slice(2);
const bootstrap = JSON.parse(readFileSync(args[args.indexOf('-c') + 1], 'utf8'));
const adminPort: number = bootstrap.admin.address.socket_address.port_value;
let live = false;
let connections = 0;

const admin = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://admin');
  if (url.pathname === '/ready') {
    res.writeHead(live ? 200 : 503).end(live ? 'LIVE\n' : 'PRE_INITIALIZING\n');
  } else if (url.pathname === '/stats') {
    res.writeHead(200).end(`listener.0.0.0.0_15006.downstream_cx_active: ${connections}\nhttp.admin.downstream_cx_active: 1\nlistener.0.0.0.0_15006.downstream_cx_total: 9\n`);
  } else if (url.pathname === '/stats/prometheus') {
    res.writeHead(200).end('# TYPE envoy_server_live gauge\nenvoy_server_live 1\n');
  } else if (url.pathname === '/drain_listeners' && req.method === 'POST') {
    process.stdout.write(`fake-proxy: drain_listeners ${url.search}\n`);
    live = false;
    res.writeHead(200).end('OK\n');
  } else if (url.pathname === '/test/go-live' && req.method === 'POST') {
    live = true;
    res.writeHead(200).end();
  } else if (url.pathname === '/test/connections' && req.method === 'POST') {
    connections = Number(url.searchParams.get('n'));
    process.stdout.write(`fake-proxy: ${connections} connections\n`);
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
  process.stdout.write(`fake-proxy: args ${args.join(' ')}\nfake-proxy: admin on ${adminPort} pid ${process.pid}\n`);
});
