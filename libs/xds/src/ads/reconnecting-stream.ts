// The client's transport for both ADS variants: one bidirectional gRPC stream at a time, the
// Node on its first request, responses handed over one by one in arrival order, and a new
// stream after a backoff whenever the old one is lost. What the messages mean is the caller's.
import * as grpc from '@grpc/grpc-js';
import type { JsonObject } from '../json/codec.ts';
import { channelOptions } from './ads-wire.ts';
import { backoffDelay, defaultBackoff, type BackoffPolicy } from './backoff.ts';

/** A gRPC streaming method: its path and how its messages are encoded. */
export interface StreamMethod<Request, Response> {
  path: string;
  serialize: (request: Request) => Buffer;
  deserialize: (bytes: Buffer) => Response;
}

export interface ReconnectingStreamOptions<Request, Response> {
  /** "host:port" of the server. */
  target: string;
  /** The Node sent on the first request of each stream, in Envoy JSON. */
  node: JsonObject;
  /** Plaintext unless given. */
  credentials?: grpc.ChannelCredentials;
  backoff?: BackoffPolicy;
  method: StreamMethod<Request, Response>;
  /** Names the stream in reports ("ADS", "delta ADS"). */
  label: string;
  /** The requests that open each new stream (resending what the caller holds and wants). */
  resume: () => Request[];
  /**
   * Handles a response of the live stream; `current` tells, after any await, whether that
   * stream is still the live one (a reply to a lost stream must not go to its successor).
   */
  onResponse: (response: Response, current: () => boolean) => Promise<void>;
  /** Reports stream ends and other troubles; the stream carries on by itself. */
  onError?: (error: Error) => void;
}

export class ReconnectingStream<Request extends object, Response> {
  readonly #options: ReconnectingStreamOptions<Request, Response>;
  readonly #client: grpc.Client;
  #stream: grpc.ClientDuplexStream<Request, Response> | undefined;
  #nodeSent = false;
  #attempt = 0;
  #retry: NodeJS.Timeout | undefined;
  #closed = false;
  /** Responses are handled one at a time, in the order they arrive. */
  #handling: Promise<void> = Promise.resolve();

  constructor(options: ReconnectingStreamOptions<Request, Response>) {
    this.#options = options;
    const backoff = options.backoff ?? defaultBackoff;
    // gRPC's own connection backoff (1 s to 120 s by default) would outlast ours; keep it in step.
    this.#client = new grpc.Client(options.target, options.credentials ?? grpc.credentials.createInsecure(), {
      ...channelOptions,
      'grpc.initial_reconnect_backoff_ms': backoff.initialMs,
      'grpc.max_reconnect_backoff_ms': backoff.maxMs,
    });
    this.#connect();
  }

  /** Writes a request on the live stream; without one it is dropped, as the next stream resumes. */
  send(request: Request): void {
    const stream = this.#stream;
    if (!stream) return;
    const withNode = this.#nodeSent ? request : { ...request, node: this.#options.node };
    this.#nodeSent = true;
    stream.write(withNode);
  }

  /** Passes a message to onError; a failing reporter must not stop the stream from recovering. */
  report(message: string): void {
    try {
      this.#options.onError?.(new Error(message));
    } catch {
      // Nothing more to do: the report was the only thing that failed.
    }
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#retry);
    const stream = this.#stream;
    this.#stream = undefined;
    stream?.cancel();
    this.#client.close();
  }

  #connect(): void {
    if (this.#closed) return;
    const { path, serialize, deserialize } = this.#options.method;
    const stream = this.#client.makeBidiStreamRequest(path, serialize, deserialize);
    this.#stream = stream;
    this.#nodeSent = false;
    let ended = false;
    const onEnd = (reason: string) => {
      if (ended) return;
      ended = true;
      this.#lost(stream, reason);
    };
    const current = () => this.#stream === stream;
    stream.on('data', (response: Response) => {
      this.#attempt = 0;
      this.#handling = this.#handling.then(() => {
        // A response still queued from a lost stream is dropped: the new stream resumes.
        if (!current() || this.#closed) return;
        return this.#options.onResponse(response, current);
      }).catch((error: unknown) => this.report(`${this.#options.label} response not handled: ${(error as Error).message ?? String(error)}`));
    });
    stream.on('error', (error: grpc.ServiceError) => onEnd(`${grpc.status[error.code] ?? error.code}: ${error.details}`));
    stream.on('end', () => onEnd('the server ended the stream'));
    for (const request of this.#options.resume()) this.send(request);
  }

  #lost(stream: grpc.ClientDuplexStream<Request, Response>, reason: string): void {
    if (this.#stream !== stream || this.#closed) return;
    this.#stream = undefined;
    stream.cancel();
    const delay = backoffDelay(this.#attempt++, Math.random(), this.#options.backoff ?? defaultBackoff);
    this.report(`${this.#options.label} stream to ${this.#options.target} lost (${reason}); reconnecting in ${delay} ms`);
    this.#retry = setTimeout(() => this.#connect(), delay);
  }
}
