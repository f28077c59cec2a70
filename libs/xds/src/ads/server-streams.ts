// The per-stream plumbing both ADS servers share: naming each stream, insisting on a Node in
// its first request, feeding requests to the variant's state machine, passing the decisions to
// the handler, and ending only the stream (never the process) when a handler throws.
import * as grpc from '@grpc/grpc-js';
import type { JsonObject } from '../json/codec.ts';
import type { ReplyDecision } from './server-stream-state.ts';

export interface AdsStreamInfo {
  id: string;
  /** The Node of the stream's first request, in Envoy JSON. */
  node: JsonObject;
  peer: string;
}

/** The handler calls both variants make alike; each adds its own onSubscribe. */
export interface StreamHandler {
  onStreamOpen(stream: AdsStreamInfo): void;
  /** version: that of the response the client accepted (system_version_info in delta). */
  onAck(streamId: string, typeUrl: string, version: string, nonce: string): void;
  onNack(streamId: string, typeUrl: string, version: string, nonce: string, error: string): void;
  onStreamClose(streamId: string): void;
}

/** What sets one variant apart: its stream ids, request name, state machine and subscriptions. */
export interface StreamProtocol<Request, State, Subscribe extends { kind: 'subscribe' }> {
  /** Put between the peer and the counter in stream ids ("#", "#delta-"). */
  idMark: string;
  /** The request message's name, for the error when a stream opens without a Node. */
  requestName: string;
  emptyState: () => State;
  onRequest: (state: State, request: Request) => { state: State; decisions: (Subscribe | ReplyDecision)[] };
  onSubscribe: (streamId: string, decision: Subscribe) => void;
}

export interface OpenStream<Request, Response, State> {
  call: grpc.ServerDuplexStream<Request, Response>;
  state: State;
  /** Whether the first request (with its Node) came, and so the handler knows the stream. */
  opened: boolean;
  /** Responses written that the client has not answered (ACK, NACK, or a stale reply). */
  unanswered: number;
  /** Called back once the stream has caught up. */
  caughtUp: (() => void)[];
}

/** A client this many responses behind (unanswered, as a client that stopped reading never
 *  answers) is taken to be stuck: a healthy one answers each response as it applies it. gRPC
 *  itself buffers whatever is written, so its write buffer alone does not tell. */
export const maxUnanswered = 8;

/** Counts a response written on a stream, for isBackedUp(). */
export function wroteResponse(stream: { unanswered: number }): void {
  stream.unanswered += 1;
}

function isSubscribe<Subscribe extends { kind: 'subscribe' }>(decision: Subscribe | ReplyDecision): decision is Subscribe {
  return decision.kind === 'subscribe';
}

export class ServerStreams<Request extends { node?: unknown }, Response, State, Subscribe extends { kind: 'subscribe' }> {
  readonly #handler: StreamHandler;
  readonly #protocol: StreamProtocol<Request, State, Subscribe>;
  readonly #streams = new Map<string, OpenStream<Request, Response, State>>();
  #nextStream = 0;

  constructor(handler: StreamHandler, protocol: StreamProtocol<Request, State, Subscribe>) {
    this.#handler = handler;
    this.#protocol = protocol;
  }

  /** Takes on a new gRPC call. */
  accept(call: grpc.ServerDuplexStream<Request, Response>): void {
    const id = `${call.getPeer()}${this.#protocol.idMark}${++this.#nextStream}`;
    this.#streams.set(id, { call, state: this.#protocol.emptyState(), opened: false, unanswered: 0, caughtUp: [] });
    call.on('drain', () => this.#checkCaughtUp(id));
    call.on('data', (request: Request) => this.#request(id, request));
    call.on('end', () => {
      call.end();
      this.#closed(id);
    });
    call.on('error', () => this.#closed(id));
    call.on('cancelled', () => this.#closed(id));
    call.on('close', () => this.#closed(id));
  }

  /** The ids of the streams open now. */
  ids(): string[] {
    return [...this.#streams.keys()];
  }

  /** An open stream, to read its state or to respond on it. */
  get(id: string): OpenStream<Request, Response, State> | undefined {
    return this.#streams.get(id);
  }

  /** Whether a stream's client is behind: it has left many responses unanswered, or written
   *  ones still wait to go out. */
  isBackedUp(id: string): boolean {
    const stream = this.#streams.get(id);
    return stream !== undefined && behind(stream);
  }

  /** Calls back once a stream that is behind has caught up (at once if it is not behind);
   *  never if the stream closes first. */
  onceCaughtUp(id: string, callback: () => void): void {
    const stream = this.#streams.get(id);
    if (!stream) return;
    if (behind(stream)) stream.caughtUp.push(callback);
    else setImmediate(callback);
  }

  #checkCaughtUp(id: string): void {
    const stream = this.#streams.get(id);
    if (!stream || behind(stream) || stream.caughtUp.length === 0) return;
    for (const callback of stream.caughtUp.splice(0)) callback();
  }

  /** Forgets every open stream (the gRPC server is closing and cuts them). */
  closeAll(): void {
    for (const id of [...this.#streams.keys()]) this.#closed(id);
  }

  #request(id: string, request: Request): void {
    const stream = this.#streams.get(id);
    if (!stream) return;
    if (!stream.opened) {
      if (!request.node) return this.#fail(id, grpc.status.INVALID_ARGUMENT, `the first ${this.#protocol.requestName} of a stream must carry node`);
      stream.opened = true;
      if (!this.#call(id, () => this.#handler.onStreamOpen({ id, node: request.node as JsonObject, peer: stream.call.getPeer() }))) return;
    }
    const { state, decisions } = this.#protocol.onRequest(stream.state, request);
    stream.state = state;
    for (const decision of decisions) if (!this.#decide(id, decision)) return;
  }

  #decide(id: string, decision: Subscribe | ReplyDecision): boolean {
    if (isSubscribe(decision)) return this.#call(id, () => this.#protocol.onSubscribe(id, decision));
    if (decision.kind !== 'invalid') this.#answered(id);
    switch (decision.kind) {
      case 'ack':
        return this.#call(id, () => this.#handler.onAck(id, decision.typeUrl, decision.version, decision.nonce));
      case 'nack':
        return this.#call(id, () => this.#handler.onNack(id, decision.typeUrl, decision.version, decision.nonce, decision.error));
      case 'stale':
        return true;
      case 'invalid':
        this.#fail(id, grpc.status.INVALID_ARGUMENT, decision.reason);
        return false;
    }
  }

  /** A reply to a response: the client is one response less behind. */
  #answered(id: string): void {
    const stream = this.#streams.get(id);
    if (!stream) return;
    stream.unanswered = Math.max(0, stream.unanswered - 1);
    this.#checkCaughtUp(id);
  }

  /** Runs a handler callback; if it throws, the stream ends with the reason instead of the process. */
  #call(id: string, callback: () => void): boolean {
    try {
      callback();
      return true;
    } catch (error) {
      this.#fail(id, grpc.status.INTERNAL, `control plane failed: ${(error as Error).message}`);
      return false;
    }
  }

  #fail(id: string, code: grpc.status, details: string): void {
    const stream = this.#streams.get(id);
    if (!stream) return;
    this.#closed(id);
    stream.call.emit('error', { code, details });
  }

  #closed(id: string): void {
    const stream = this.#streams.get(id);
    if (!stream) return;
    this.#streams.delete(id);
    if (stream.opened) {
      try {
        this.#handler.onStreamClose(id);
      } catch {
        // The stream is gone either way; nothing is left to report the failure to.
      }
    }
  }
}

function behind(stream: { call: { writableNeedDrain: boolean }; unanswered: number }): boolean {
  return stream.unanswered >= maxUnanswered || stream.call.writableNeedDrain;
}
