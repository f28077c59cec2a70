import { connect, type Socket } from 'node:net';
import { BodyDecoder, CRLFCRLF, getHeader, parseResponseHead, type HeaderList } from '@mizzen/filters';

export interface RawResponse {
  status: number;
  headers: HeaderList;
  body: Buffer;
}

/** A test client that writes raw bytes and frames the responses with the proxy's own decoder,
 *  so that tests can send what a well-behaved client never would. */
export class RawHttpClient {
  readonly socket: Socket;
  readonly responses: RawResponse[] = [];
  closed = false;
  private buffer = Buffer.alloc(0);
  private current: RawResponse | undefined;
  private pieces: Buffer[] = [];
  private readonly decoder = new BodyDecoder();
  private readonly waiters: (() => void)[] = [];
  private readonly ready: Promise<void>;
  private requestMethods: string[] = [];

  constructor(port: number, host = '127.0.0.1') {
    this.socket = connect({ port, host });
    this.ready = new Promise((resolve, reject) => this.socket.once('connect', resolve).once('error', reject));
    this.socket.on('data', (d) => this.onData(d));
    this.socket.on('error', () => {});
    this.socket.on('close', () => {
      if (this.current && this.decoder.untilClose) this.finish();
      this.closed = true;
      this.wake();
    });
  }

  /** Writes bytes; `methods` lists the request methods in them (HEAD responses have no body). */
  async send(data: string | Buffer, methods: string[] = ['GET']): Promise<void> {
    await this.ready;
    this.requestMethods.push(...methods);
    this.socket.write(data);
  }

  /** Resolves once `count` responses arrived in total, or the connection closed. */
  async waitFor(count: number): Promise<RawResponse[]> {
    while (this.responses.length < count && !this.closed) await new Promise<void>((resolve) => this.waiters.push(resolve));
    return this.responses;
  }

  async waitClosed(): Promise<void> {
    while (!this.closed) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private onData(data: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, data]);
    for (;;) {
      if (!this.current) {
        const end = this.buffer.indexOf(CRLFCRLF);
        if (end === -1) return;
        const head = parseResponseHead(this.buffer, 0, end);
        this.buffer = this.buffer.subarray(end + 4);
        this.current = { status: head.status, headers: head.headers, body: Buffer.alloc(0) };
        const method = this.requestMethods.shift();
        const noBody = method === 'HEAD' || head.status < 200 || head.status === 204 || head.status === 304;
        this.decoder.start(noBody ? 0 : head.contentLength, !noBody && head.chunked, !noBody && getHeader(head.headers, 'content-length') === undefined);
      }
      const used = this.decoder.consume(this.buffer, 0, this.buffer.length, { onBodyData: (d) => this.pieces.push(d) });
      this.buffer = this.buffer.subarray(used);
      if (!this.decoder.done) return;
      this.finish();
    }
  }

  private finish(): void {
    if (this.current) {
      this.current.body = Buffer.concat(this.pieces);
      this.responses.push(this.current);
    }
    this.pieces = [];
    this.current = undefined;
    this.wake();
  }
}
