import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Servers a test started, closed after it. */
const started: Server[] = [];

export async function listen(server: Server): Promise<number> {
  started.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

export async function closeAll(): Promise<void> {
  await Promise.all(
    started.splice(0).map((server) => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    }),
  );
}

export interface FakeService {
  port: number;
  url: URL;
  /** Each request it took: path and headers. */
  requests: { path: string; headers: IncomingHttpHeaders }[];
}

/** A stand-in upstream on loopback that records what it was sent. */
export async function fakeService(handle: (request: IncomingMessage, response: ServerResponse) => void): Promise<FakeService> {
  const requests: FakeService['requests'] = [];
  const port = await listen(
    createServer((request, response) => {
      requests.push({ path: request.url ?? '', headers: request.headers });
      handle(request, response);
    }),
  );
  return { port, url: new URL(`http://127.0.0.1:${port}`), requests };
}

export function answerJson(body: unknown, status = 200): (request: IncomingMessage, response: ServerResponse) => void {
  return (_request, response) => response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** An upstream that takes the request and never answers: the caller's timeout must end it. */
export function neverAnswer(): void {}
