import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { connect, createServer, isIP, type Server, type Socket as TcpSocket } from 'node:net';

// A pod has no route off the machine, so the names its agent does not know (anything outside
// the mesh) need a resolver the pod can reach that asks the world for it. The runner serves
// one on the host end of the pods' network (the bridge address): it takes each question from
// a pod and asks the machine's own resolvers, from the host's own address, as the node's
// resolver does for a pod on Kubernetes. It relays bytes; it never answers by itself.

export interface Upstream {
  host: string;
  port: number;
}

export interface DnsForwarderOptions {
  /** The address to listen on, UDP and TCP. */
  address: string;
  /** 53 unless told (0: any free port). */
  port?: number;
  /** Asked in order: the next when one does not answer in time. */
  upstreams: Upstream[];
  timeoutMs?: number;
  /** Questions no upstream answered, and malformed ones (the forwarder goes on). */
  onError?: (message: string) => void;
}

/** A DNS message starts with a 12-byte header; anything shorter is not one. */
const headerBytes = 12;
/** Questions waiting for an answer at once; more are dropped (the client asks again). */
const maxInFlight = 512;
/** A TCP connection with nothing to say for this long is closed, as resolvers do. */
const tcpIdleMs = 10_000;

/** The nameservers of a resolv.conf, each on port 53 (libc's resolv.conf names no port). */
export function upstreamsOf(resolvConf: string): Upstream[] {
  const upstreams: Upstream[] = [];
  for (const raw of resolvConf.split('\n')) {
    const [keyword, value] = raw.replace(/[#;].*$/, '').trim().split(/\s+/);
    if (keyword === 'nameserver' && value && isIP(value.split('%')[0])) upstreams.push({ host: value, port: 53 });
  }
  return upstreams;
}

export class DnsForwarder {
  readonly #options: Required<Omit<DnsForwarderOptions, 'port'>>;
  readonly #udp: Socket;
  readonly #tcp: Server;
  readonly #connections = new Set<TcpSocket>();
  #inFlight = 0;

  private constructor(options: DnsForwarderOptions, udp: Socket, tcp: Server) {
    this.#options = { timeoutMs: 2_000, onError: () => {}, ...options };
    this.#udp = udp;
    this.#tcp = tcp;
    udp.on('message', (query, from) => this.#answerUdp(query, from));
    udp.on('error', (error) => this.#options.onError(`dns forwarder: udp: ${error.message}`));
    tcp.on('connection', (socket) => this.#answerTcp(socket));
    tcp.on('error', (error) => this.#options.onError(`dns forwarder: tcp: ${error.message}`));
  }

  /** Listens on the address, UDP and TCP on the same port; rejects naming what failed. */
  static async listen(options: DnsForwarderOptions): Promise<DnsForwarder> {
    const family = isIP(options.address);
    if (family === 0) throw new Error(`dns forwarder: ${options.address} is not an IP address`);
    if (options.upstreams.length === 0) throw new Error('dns forwarder: no upstream resolver (no nameserver line in the resolv.conf)');
    const udp = createSocket(family === 6 ? 'udp6' : 'udp4');
    const tcp = createServer();
    try {
      udp.bind(options.port ?? 53, options.address);
      await Promise.race([once(udp, 'listening'), once(udp, 'error').then(([error]) => Promise.reject(error as Error))]);
      tcp.listen(udp.address().port, options.address);
      await Promise.race([once(tcp, 'listening'), once(tcp, 'error').then(([error]) => Promise.reject(error as Error))]);
    } catch (error) {
      udp.close();
      tcp.close();
      throw new Error(`dns forwarder on ${options.address}:${options.port ?? 53}: ${(error as Error).message}`, { cause: error });
    }
    return new DnsForwarder(options, udp, tcp);
  }

  get port(): number {
    return this.#udp.address().port;
  }

  async close(): Promise<void> {
    for (const socket of this.#connections) socket.destroy();
    await Promise.all([new Promise<void>((resolve) => this.#udp.close(() => resolve())), new Promise<void>((resolve) => this.#tcp.close(() => resolve()))]);
  }

  #answerUdp(query: Buffer, from: RemoteInfo): void {
    if (query.length < headerBytes || this.#inFlight >= maxInFlight) return;
    this.#inFlight++;
    this.#ask(query, udpExchange)
      .then((answer) => this.#udp.send(answer, from.port, from.address))
      .catch((error: Error) => this.#options.onError(`dns forwarder: ${from.address}: ${error.message}`))
      .finally(() => this.#inFlight--);
  }

  /** TCP queries come framed by a two-byte length, one after the other on the connection. */
  #answerTcp(socket: TcpSocket): void {
    this.#connections.add(socket);
    socket.setTimeout(tcpIdleMs, () => socket.destroy());
    socket.on('close', () => this.#connections.delete(socket));
    socket.on('error', () => socket.destroy());
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        const query = pending.subarray(2, 2 + pending.readUInt16BE(0));
        pending = pending.subarray(2 + query.length);
        if (query.length < headerBytes) {
          socket.destroy();
          return;
        }
        this.#ask(Buffer.from(query), tcpExchange)
          .then((answer) => socket.writable && socket.write(frame(answer)))
          .catch((error: Error) => {
            this.#options.onError(`dns forwarder: ${socket.remoteAddress}: ${error.message}`);
            socket.destroy();
          });
      }
    });
  }

  /** Asks each upstream in turn until one answers. */
  async #ask(query: Buffer, exchange: Exchange): Promise<Buffer> {
    const reasons: string[] = [];
    for (const upstream of this.#options.upstreams) {
      try {
        return await exchange(query, upstream, this.#options.timeoutMs);
      } catch (error) {
        reasons.push(`${upstream.host}:${upstream.port} ${(error as Error).message}`);
      }
    }
    throw new Error(`no upstream resolver answered (${reasons.join('; ')})`);
  }
}

type Exchange = (query: Buffer, upstream: Upstream, timeoutMs: number) => Promise<Buffer>;

function frame(message: Buffer): Buffer {
  const length = Buffer.alloc(2);
  length.writeUInt16BE(message.length);
  return Buffer.concat([length, message]);
}

/** One question over UDP from a socket of its own; only an answer with the question's id counts. */
function udpExchange(query: Buffer, upstream: Upstream, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(isIP(upstream.host.split('%')[0]) === 6 ? 'udp6' : 'udp4');
    let settled = false;
    const done = (error: Error | undefined, answer?: Buffer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.close();
      if (error) reject(error);
      else resolve(answer!);
    };
    const timer = setTimeout(() => done(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    socket.on('message', (answer) => {
      if (answer.length >= headerBytes && answer.readUInt16BE(0) === query.readUInt16BE(0)) done(undefined, answer);
    });
    socket.on('error', (error) => done(error));
    socket.send(query, upstream.port, upstream.host);
  });
}

/** One question over a TCP connection of its own. */
function tcpExchange(query: Buffer, upstream: Upstream, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: upstream.host, port: upstream.port });
    let received = Buffer.alloc(0);
    let settled = false;
    const done = (error: Error | undefined, answer?: Buffer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(answer!);
    };
    const timer = setTimeout(() => done(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    socket.on('connect', () => socket.write(frame(query)));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= 2 && received.length >= 2 + received.readUInt16BE(0)) done(undefined, received.subarray(2, 2 + received.readUInt16BE(0)));
    });
    socket.on('error', (error) => done(error));
    socket.on('end', () => done(new Error('closed before answering')));
  });
}
