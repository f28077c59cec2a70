import type {
  ConnectionHandler, Http2RequestHead, PoolCallbacks, PooledConnection, StreamCallbacks, UpstreamCluster, UpstreamHost, UpstreamStream,
} from '../../cluster-manager.ts';

/** The most request body a mirror keeps while its connection opens; past it the copy is dropped. */
const MAX_BUFFERED = 1 << 20;
/** A mirror that takes longer than this is abandoned. */
const MIRROR_TIMEOUT_MS = 15_000;

function onMirrorTimeout(mirror: RequestMirror): void {
  mirror.abandon();
}

const EMPTY = Buffer.alloc(0);

/**
 * A copy of one request sent to a mirror cluster (request_mirror_policies). Fire and forget:
 * its answer is not wanted, and nothing that happens to it reaches the main request. As Envoy
 * does, the copy's Host gets a "-shadow" suffix. It goes over HTTP/1.1 (`head` is the request
 * head's text) or as an HTTP/2 stream (`head` is its header block), as the mirror cluster speaks.
 */
export class RequestMirror implements PoolCallbacks, StreamCallbacks, ConnectionHandler {
  private readonly cluster: UpstreamCluster;
  private readonly host: UpstreamHost;
  private readonly head: string | Http2RequestHead;
  private readonly chunked: boolean;
  private connection: PooledConnection | undefined;
  private upstream: UpstreamStream | undefined;
  private pending: { cancel(): void } | undefined;
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  private ended: boolean;
  private done = false;
  private readonly timer: NodeJS.Timeout;

  constructor(cluster: UpstreamCluster, host: UpstreamHost, head: string | Http2RequestHead, chunked: boolean, endStream: boolean) {
    this.cluster = cluster;
    this.host = host;
    this.head = head;
    this.chunked = chunked;
    this.ended = endStream;
    cluster.stats.upstreamRqTotal.inc();
    this.timer = setTimeout(onMirrorTimeout, MIRROR_TIMEOUT_MS, this);
    this.timer.unref();
    this.pending = typeof head === 'string' ? cluster.acquire(host, this) : cluster.openStream(host, head, this);
  }

  /** The next piece of the request body. */
  data(data: Buffer, endStream: boolean): void {
    if (this.done) return;
    if (endStream) this.ended = true;
    if (this.upstream) {
      this.upstream.write(data, endStream);
      return;
    }
    if (this.connection) {
      this.write(data, endStream);
      return;
    }
    this.buffered.push(data);
    this.bufferedBytes += data.length;
    if (this.bufferedBytes > MAX_BUFFERED) this.abandon();
  }

  private write(data: Buffer, endStream: boolean): void {
    const socket = (this.connection as PooledConnection).socket;
    if (data.length > 0) socket.write(this.chunked ? Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n')]) : data);
    if (endStream && this.chunked) socket.write('0\r\n\r\n');
  }

  onPoolReady(connection: PooledConnection): void {
    this.pending = undefined;
    if (this.done) {
      this.cluster.release(connection, false);
      return;
    }
    this.connection = connection;
    connection.handler = this;
    connection.socket.write(`${this.head}\r\n`, 'latin1');
    const buffered = this.buffered;
    this.buffered = [];
    for (const chunk of buffered) this.write(chunk, false);
    if (this.ended) this.write(Buffer.alloc(0), true);
  }

  onStreamReady(upstream: UpstreamStream): void {
    this.pending = undefined;
    if (this.done) {
      upstream.reset();
      return;
    }
    this.upstream = upstream;
    if ((this.head as Http2RequestHead).endStream) return;
    const buffered = this.buffered;
    this.buffered = [];
    for (const chunk of buffered) upstream.write(chunk, false);
    if (this.ended) upstream.write(EMPTY, true);
  }

  // Any sign of an answer ends the copy; the stream is cancelled if still open.
  onResponseHeaders(): void {
    this.finish();
  }

  onResponseData(): void {
    this.finish();
  }

  onResponseTrailers(): void {
    this.finish();
  }

  onResponseEnd(): void {
    this.finish();
  }

  onStreamDrain(): void {}

  onStreamReset(): void {
    this.upstream = undefined;
    this.finish();
  }

  onPoolFailure(): void {
    this.pending = undefined;
    this.finish();
  }

  /** The answer began: it is not wanted, and the connection is not reused (its body is unread). */
  onData(): void {
    this.finish();
  }

  onDrain(): void {}

  onClose(): void {
    this.connection = undefined;
    this.finish();
  }

  /** The main request went away before its body was complete, or the mirror took too long. */
  abandon(): void {
    this.finish();
  }

  get finished(): boolean {
    return this.done;
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.pending?.cancel();
    this.pending = undefined;
    const upstream = this.upstream;
    this.upstream = undefined;
    upstream?.reset();
    const connection = this.connection;
    this.connection = undefined;
    if (connection) {
      connection.handler = undefined;
      this.cluster.release(connection, false);
    }
    this.buffered = [];
  }
}
