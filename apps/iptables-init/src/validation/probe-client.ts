// The client side of --run-validation, run as the proxy's user so that the capture rules treat
// its connection as the proxy's:
//   probe-client.ts HOST PORT TIMEOUT_MS [LOCAL_ADDRESS]
// prints what the listener answered, or fails with why the connection did not get through.
import { connect } from 'node:net';

const [host, port, timeoutMs, localAddress] = process.argv.slice(2);
const socket = connect({ host, port: Number(port), timeout: Number(timeoutMs), localAddress });
let answer = '';
socket.setEncoding('utf8').on('data', (d: string) => (answer += d));
socket.on('end', () => process.stdout.write(answer));
socket.on('timeout', () => {
  process.stderr.write(`no answer from ${host}:${port} within ${timeoutMs}ms\n`);
  process.exit(1);
});
socket.on('error', (error) => {
  process.stderr.write(`connection to ${host}:${port}: ${error.message}\n`);
  process.exit(1);
});
