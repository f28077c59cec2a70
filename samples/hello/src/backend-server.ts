import { createServer, type Server } from 'node:http';

export interface BackendReply {
  service: 'hello-backend';
  pod: string;
  /** The request id the mesh gave the request, so a caller can follow it across hops. */
  requestId: string | null;
}

/** Answers every GET with the pod's name. */
export function createBackendServer(pod: string): Server {
  return createServer((request, response) => {
    if (request.method !== 'GET') {
      response.writeHead(405, { allow: 'GET' }).end();
      return;
    }
    const reply: BackendReply = { service: 'hello-backend', pod, requestId: headerValue(request.headers['x-request-id']) };
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(reply) + '\n');
  });
}

function headerValue(value: string | string[] | undefined): string | null {
  return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
}
