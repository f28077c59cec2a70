import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { ConfigStore } from '@mizzen/config';
import type { InjectionSettings } from '@mizzen/inject';
import { admissionReview, readAdmissionReview, type AdmissionRequest, type AdmissionResponse } from './admission-review.ts';
import { injectAdmission } from './inject-webhook.ts';
import { validateAdmission } from './validate-webhook.ts';

export interface WebhookServerOptions {
  /** PEM certificate chain and key the API server sees (Istio's istiod DNS certificate). */
  cert: string | Buffer;
  key: string | Buffer;
  store: ConfigStore;
  injection: InjectionSettings;
  log?: (message: string) => void;
}

/** The API server sends a few MiB at most; more is not an AdmissionReview. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

type Handler = (request: AdmissionRequest) => AdmissionResponse;

/** istiod's webhooks over HTTPS: `/inject` (mutating) and `/validate` (validating), and
 *  `/httpsReady` for a readiness check. Nothing a client sends can bring it down. */
export function createWebhookServer(options: WebhookServerOptions): Server {
  const log = options.log ?? (() => {});
  const routes: Record<string, Handler> = {
    inject: (request) => injectAdmission(request, options.injection, options.store),
    validate: (request) => validateAdmission(request),
  };
  return createServer({ cert: options.cert, key: options.key }, (req, res) => {
    serve(req, res, routes, log).catch((error: Error) => {
      log(`webhook: ${req.method} ${req.url}: ${error.message}`);
      if (!res.headersSent) reply(res, 500, 'text/plain', `internal error: ${error.message}\n`);
      else res.destroy();
    });
  });
}

async function serve(req: IncomingMessage, res: ServerResponse, routes: Record<string, Handler>, log: (message: string) => void): Promise<void> {
  const path = new URL(req.url ?? '/', 'https://istiod').pathname;
  if (path === '/httpsReady' && req.method === 'GET') return reply(res, 200, 'text/plain', 'ready\n');
  // Istio serves /inject/... too: the rest of the path carries per-cluster parameters.
  const handler = routes[path.split('/')[1] ?? ''];
  if (handler === undefined) return reply(res, 404, 'text/plain', `no webhook at ${path}; try /inject or /validate\n`);
  if (req.method !== 'POST') return reply(res, 405, 'text/plain', `${path} takes POST, got ${req.method}\n`);
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim();
  if (type !== 'application/json') return reply(res, 415, 'text/plain', `${path}: content type must be application/json, got ${JSON.stringify(type)}\n`);
  const body = await readBody(req);
  if (body === undefined) return reply(res, 413, 'text/plain', `${path}: body larger than ${MAX_BODY_BYTES} bytes\n`);
  let review: ReturnType<typeof readAdmissionReview>;
  try {
    review = readAdmissionReview(JSON.parse(body.toString('utf8')));
  } catch (error) {
    return reply(res, 400, 'text/plain', `${path}: not an AdmissionReview: ${(error as Error).message}\n`);
  }
  const response = handler(review.request);
  if (!response.allowed) log(`webhook ${path}: denied ${describe(review.request)}: ${response.status?.message}`);
  reply(res, 200, 'application/json', JSON.stringify(admissionReview(review.apiVersion, response)));
}

/** The body, or undefined when it passes the limit (the rest is not read). */
async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function reply(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function describe(request: AdmissionRequest): string {
  return `${request.kind?.kind ?? 'object'} ${request.namespace ?? ''}/${request.name ?? ''}`;
}
