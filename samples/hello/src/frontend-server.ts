import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';

/** The headers a service must pass on for the mesh to follow a request (as Istio's samples do). */
const propagatedHeaders = ['x-request-id', 'traceparent', 'tracestate', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-parentspanid', 'x-b3-sampled', 'b3'];

export interface FrontendOptions {
  pod: string;
  /** The backend's service port. */
  backendPort: number;
  /** The backend's name (its service), or an address; 127.0.0.1 unless given. */
  backendHost?: string;
}

/** Answers `GET /` by calling the backend and returning what it said, plus this pod's name. */
export function createFrontendServer(options: FrontendOptions): Server {
  const backendHost = options.backendHost ?? '127.0.0.1';
  return createServer((request, response) => {
    if (request.method !== 'GET') {
      response.writeHead(405, { allow: 'GET' }).end();
      return;
    }
    callBackend(backendHost, options.backendPort, pickHeaders(request.headers)).then(
      (backend) => reply(response, backend.status === 200 ? 200 : 502, { service: 'hello-frontend', pod: options.pod, backend: backend.body }),
      (error: Error) => reply(response, 502, { service: 'hello-frontend', pod: options.pod, error: `backend at ${backendHost}:${options.backendPort}: ${error.message}` }),
    );
  });
}

function reply(response: import('node:http').ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body) + '\n');
}

function pickHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of propagatedHeaders) {
    const value = headers[name];
    if (typeof value === 'string') picked[name] = value;
  }
  return picked;
}

function callBackend(host: string, port: number, headers: Record<string, string>): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest({ host, port, path: '/', headers, timeout: 10_000 }, (incoming) => {
      let text = '';
      incoming.setEncoding('utf8').on('data', (d: string) => (text += d));
      incoming.on('error', reject).on('end', () => resolve({ status: incoming.statusCode ?? 0, body: parseBody(text) }));
    });
    outgoing.on('timeout', () => outgoing.destroy(new Error('no answer within 10s')));
    outgoing.on('error', reject).end();
  });
}

/** The backend answers JSON; anything else (say, a proxy's error page) is passed on as text. */
function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
