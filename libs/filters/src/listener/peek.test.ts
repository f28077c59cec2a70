import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { peek } from './peek.ts';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

/** A connected pair: the accepted socket and the client. */
async function pair(): Promise<{ accepted: Socket; client: Socket }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  const socket = await accepted;
  cleanups.push(() => {
    client.destroy();
    socket.destroy();
    server.close();
  });
  return { accepted: socket, client };
}

describe('peek', () => {
  it('gathers bytes until there are enough, and leaves them for the next reader', async () => {
    const { accepted, client } = await pair();
    client.write('hel');
    setTimeout(() => client.write('lo world'), 20);
    const { data, outcome } = await peek(accepted, (d) => d.length >= 5, 5_000);
    expect(outcome).toBe('continue');
    expect(data.toString()).toBe('hello world');
    // A 'data' listener attached afterwards sees everything, as if nobody had looked.
    const seen = await new Promise<string>((resolve) => accepted.once('data', (d: Buffer) => resolve(d.toString())));
    expect(seen).toBe('hello world');
  });

  it('keeps the bytes when the client sends and half-closes at once', async () => {
    const { accepted, client } = await pair();
    client.end('GET / HTTP/1.1\r\n\r\n');
    const { outcome } = await peek(accepted, (d) => d.includes('\r\n'), 5_000);
    expect(outcome).toBe('continue');
    let text = '';
    accepted.on('data', (d: Buffer) => (text += d.toString()));
    await new Promise((resolve) => accepted.once('end', resolve));
    expect(text).toBe('GET / HTTP/1.1\r\n\r\n');
  });

  it('times out when the client says too little, keeping what it said', async () => {
    const { accepted, client } = await pair();
    client.write('x');
    expect(await peek(accepted, () => false, 50)).toMatchObject({ outcome: 'timeout' });
    expect(await peek(accepted, (d) => d.length >= 1, 1_000)).toMatchObject({ outcome: 'continue' });
  });

  it('reports a client that leaves before there is enough', async () => {
    const { accepted, client } = await pair();
    client.end('x');
    expect((await peek(accepted, () => false, 5_000)).outcome).toBe('closed');
  });
});
