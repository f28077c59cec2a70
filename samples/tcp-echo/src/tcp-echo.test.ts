import { once } from 'node:events';
import { connect, type AddressInfo, type Server } from 'node:net';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { createEchoServer } from './echo-server.ts';
import { echoOptions } from './echo-options.ts';

const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function listen(server: Server): Promise<number> {
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

describe('tcp-echo', () => {
  it('echoes each line prefixed with its version, and ends when the client does', async () => {
    const port = await listen(createEchoServer('two'));
    const socket = connect(port, '127.0.0.1');
    const lines = createInterface({ input: socket });
    const received: string[] = [];
    lines.on('line', (line) => received.push(line));
    socket.write('hello\nworld, ');
    socket.end('again\n');
    await once(lines, 'close');
    expect(received).toEqual(['two hello', 'two world, again']);
  });

  it('reads its port and prefix, naming the flag that is wrong', () => {
    expect(echoOptions(['--port', '9000', '--prefix', 'one'])).toEqual({ port: 9000, prefix: 'one' });
    expect(() => echoOptions(['--prefix', 'one'])).toThrow('--port: "" is not a port (1-65535)');
    expect(() => echoOptions(['--port', '70000', '--prefix', 'one'])).toThrow('--port: "70000"');
    expect(() => echoOptions(['--port', '9000', '--prefix', 'two words'])).toThrow('--prefix: "two words" must be one word');
  });
});
