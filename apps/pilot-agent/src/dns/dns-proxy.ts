import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, isIP, type Server, type Socket } from 'node:net';
import dnsPacket from 'dns-packet';
import type { AgentMetrics } from '../metrics/agent-metrics.ts';
import { lookupName, type LookupTable } from './name-table.ts';

export interface Upstream {
  host: string;
  port: number;
}

export interface DnsProxyOptions {
  host: string;
  port: number;
  /** Where names the mesh does not know go, tried in order. */
  upstreams: Upstream[];
  searchDomains: string[];
  metrics: AgentMetrics;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
  upstreamTimeoutMs?: number;
}

/** Istio's TTL for names from the mesh's table. */
const TTL_SECONDS = 30;
const HEADER_BYTES = 12;
// Response codes (RFC 1035 4.1.1) carried in the low bits of the flags.
const FORMERR = 1;
const SERVFAIL = 2;

/**
 * Istio's DNS proxy: answers A and AAAA for the mesh's names from istiod's name table and
 * sends every other question to the upstream resolvers, over UDP and TCP alike. A query that
 * cannot be parsed gets FORMERR; nothing a client sends stops the server.
 */
export class DnsProxy {
  #table: LookupTable = new Map();
  readonly #options: DnsProxyOptions;
  readonly #udp: UdpSocket;
  readonly #tcp: Server;

  private constructor(options: DnsProxyOptions, udp: UdpSocket, tcp: Server) {
    this.#options = options;
    this.#udp = udp;
    this.#tcp = tcp;
  }

  /** Binds UDP and TCP on the same address and port; fails naming both when one cannot. */
  static async start(options: DnsProxyOptions): Promise<DnsProxy> {
    const udp = createSocket({ type: isIP(options.host) === 6 ? 'udp6' : 'udp4', reuseAddr: false });
    const tcp = createServer();
    const proxy = new DnsProxy(options, udp, tcp);
    udp.on('message', (message, peer) => void proxy.#answerUdp(message, peer.address, peer.port));
    // Late socket errors (a reply to a vanished client) are logged, never thrown.
    udp.on('error', (error) => options.log('warn', `dns: udp: ${error.message}`));
    tcp.on('connection', (socket) => proxy.#serveTcp(socket));
    const where = `${options.host}:${options.port}`;
    try {
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(options.port, options.host, () => {
          udp.off('error', reject);
          resolve();
        });
      });
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(options.port, options.host, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      await proxy.close();
      throw new Error(`cannot serve DNS on ${where}: ${(error as Error).message}`, { cause: error });
    }
    tcp.on('error', (error) => options.log('warn', `dns: tcp: ${error.message}`));
    return proxy;
  }

  /** Replaces the mesh's names (from a new NameTable). */
  update(table: LookupTable): void {
    this.#table = table;
  }

  get nameCount(): number {
    return this.#table.size;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      try {
        this.#udp.close(() => resolve());
      } catch {
        resolve(); // never bound
      }
    });
    await new Promise<void>((resolve) => (this.#tcp.listening ? this.#tcp.close(() => resolve()) : resolve()));
  }

  /** The answer to one query message: from the table, or from upstream through `forward`.
   *  Never rejects: whatever goes wrong is SERVFAIL to the client and a line in the log. */
  async answer(query: Buffer, forward: (query: Buffer) => Promise<Buffer>): Promise<Buffer> {
    try {
      return await this.#answer(query, forward);
    } catch (error) {
      this.#options.log('warn', `dns: cannot answer a query: ${(error as Error).message}`);
      return errorReply(query, SERVFAIL);
    }
  }

  async #answer(query: Buffer, forward: (query: Buffer) => Promise<Buffer>): Promise<Buffer> {
    const { metrics } = this.#options;
    let packet: dnsPacket.DecodedPacket;
    try {
      packet = dnsPacket.decode(query);
    } catch {
      metrics.increment('istio_agent_dns_requests_total', 'DNS queries the agent received', { answer: 'malformed' });
      return errorReply(query, FORMERR);
    }
    const question = packet.questions?.[0];
    if (packet.type !== 'query' || !question) {
      metrics.increment('istio_agent_dns_requests_total', 'DNS queries the agent received', { answer: 'malformed' });
      return errorReply(query, FORMERR);
    }
    const records = question.type === 'A' || question.type === 'AAAA' ? lookupName(this.#table, question.name, this.#options.searchDomains) : undefined;
    if (records) {
      metrics.increment('istio_agent_dns_requests_total', 'DNS queries the agent received', { answer: 'mesh' });
      const addresses = question.type === 'A' ? records.ipv4 : records.ipv6;
      // A mesh name without an address of the asked family: NOERROR with no answers (NODATA).
      return dnsPacket.encode({
        id: packet.id,
        type: 'response',
        flags: dnsPacket.AUTHORITATIVE_ANSWER | ((packet.flags ?? 0) & dnsPacket.RECURSION_DESIRED) | dnsPacket.RECURSION_AVAILABLE,
        questions: [question],
        answers: addresses.map((data) => ({ type: question.type as 'A' | 'AAAA', class: 'IN' as const, name: question.name, ttl: TTL_SECONDS, data })),
      });
    }
    metrics.increment('istio_agent_dns_requests_total', 'DNS queries the agent received', { answer: 'upstream' });
    try {
      return await forward(query);
    } catch (error) {
      metrics.increment('istio_agent_dns_upstream_failures_total', 'DNS queries no upstream resolver answered');
      this.#options.log('warn', `dns: ${question.type} ${question.name}: ${(error as Error).message}`);
      // With the question echoed: resolvers (Node's among them) take a bare header for a broken
      // answer rather than a server failure.
      return dnsPacket.encode({ id: packet.id, type: 'response', flags: ((packet.flags ?? 0) & dnsPacket.RECURSION_DESIRED) | dnsPacket.RECURSION_AVAILABLE | SERVFAIL, questions: [question] });
    }
  }

  async #answerUdp(message: Buffer, address: string, port: number): Promise<void> {
    if (message.length < 2) return; // not even an id to answer to
    const reply = await this.answer(message, (query) => this.#forward(query, udpExchange));
    this.#udp.send(reply, port, address, (error) => error && this.#options.log('warn', `dns: cannot answer ${address}:${port}: ${error.message}`));
  }

  // DNS over TCP: each message is preceded by its length (RFC 1035 4.2.2); answers go back in
  // the order they are ready.
  #serveTcp(socket: Socket): void {
    let buffered = Buffer.alloc(0);
    socket.on('error', () => socket.destroy());
    socket.setTimeout(30_000, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const length = buffered.readUInt16BE(0);
        const message = buffered.subarray(2, 2 + length);
        buffered = buffered.subarray(2 + length);
        if (message.length < 2) {
          socket.destroy();
          return;
        }
        void this.answer(Buffer.from(message), (query) => this.#forward(query, tcpExchange)).then((reply) => {
          if (!socket.destroyed) socket.write(Buffer.concat([lengthPrefix(reply.length), reply]));
        });
      }
    });
  }

  async #forward(query: Buffer, exchange: Exchange): Promise<Buffer> {
    const { upstreams, metrics, upstreamTimeoutMs = 2_000 } = this.#options;
    if (upstreams.length === 0) throw new Error('no upstream resolver is configured');
    const reasons: string[] = [];
    for (const upstream of upstreams) {
      metrics.increment('istio_agent_dns_upstream_requests_total', 'DNS queries the agent forwarded upstream');
      try {
        return await exchange(query, upstream, upstreamTimeoutMs);
      } catch (error) {
        reasons.push(`${upstream.host}:${upstream.port} ${(error as Error).message}`);
      }
    }
    throw new Error(`no upstream resolver answered (${reasons.join('; ')})`);
  }
}

type Exchange = (query: Buffer, upstream: Upstream, timeoutMs: number) => Promise<Buffer>;

/** A header-only reply with the query's id and the given response code. */
function errorReply(query: Buffer, rcode: number): Buffer {
  const reply = Buffer.alloc(HEADER_BYTES);
  query.copy(reply, 0, 0, 2);
  const opcodeAndRd = query.length >= 3 ? query[2] & 0x79 : 0;
  reply[2] = 0x80 | opcodeAndRd; // QR, the query's opcode and RD
  reply[3] = 0x80 | rcode; // RA and the code
  return reply;
}

function lengthPrefix(length: number): Buffer {
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(length);
  return prefix;
}

/** One query over UDP on a socket of its own; the answer must carry the query's id. */
function udpExchange(query: Buffer, upstream: Upstream, timeoutMs: number): Promise<Buffer> {
  return exchange(timeoutMs, (answer, fail) => {
    const socket = createSocket(isIP(upstream.host.split('%')[0]) === 6 ? 'udp6' : 'udp4');
    socket.on('error', fail);
    socket.on('message', (reply) => {
      if (reply.length >= 2 && reply.readUInt16BE(0) === query.readUInt16BE(0)) answer(reply);
    });
    socket.send(query, upstream.port, upstream.host);
    return () => socket.close();
  });
}

/** One query over TCP on a connection of its own. */
function tcpExchange(query: Buffer, upstream: Upstream, timeoutMs: number): Promise<Buffer> {
  return exchange(timeoutMs, (answer, fail) => {
    const socket = connect({ host: upstream.host, port: upstream.port });
    let buffered = Buffer.alloc(0);
    socket.on('error', (error: NodeJS.ErrnoException) => fail(new Error(error.code ?? error.message)));
    socket.on('connect', () => socket.write(Buffer.concat([lengthPrefix(query.length), query])));
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) answer(buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
    });
    socket.on('end', () => fail(new Error('closed before answering')));
    return () => socket.destroy();
  });
}

/** Settles once: with the first answer, the first failure or the time-out, whichever comes
 *  first; `open` starts the exchange and returns how to release its socket, done either way. */
function exchange(timeoutMs: number, open: (answer: (reply: Buffer) => void, fail: (error: Error) => void) => () => void): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let finished = false;
    const finish = (settle: () => void): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      release();
      settle();
    };
    const timer = setTimeout(() => finish(() => reject(new Error(`no answer within ${timeoutMs} ms`))), timeoutMs);
    const release = open(
      (reply) => finish(() => resolve(reply)),
      (error) => finish(() => reject(error)),
    );
  });
}
