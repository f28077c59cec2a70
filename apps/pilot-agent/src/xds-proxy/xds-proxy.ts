import { mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { adsMethodPath, deltaAdsMethodPath, TypeUrl, type JsonObject } from '@mizzen/xds';
import type { AgentMetrics } from '../metrics/agent-metrics.ts';
import { nameTableReply, nameTableRequest, peekResponse, readNameTable } from './discovery-messages.ts';

/** Applies a name table from istiod; throwing NACKs it. */
export type NameTableSink = (table: JsonObject, version: string) => void;

export interface XdsProxyOptions {
  /** The unix socket the proxy's xds-grpc cluster points at. */
  socketPath: string;
  /** istiod, "host:port". */
  upstream: string;
  /** When set, the agent asks istiod for the name table on each proxy stream (NDS). */
  onNameTable?: NameTableSink;
  metrics: AgentMetrics;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
}

type Bytes = Buffer;
const passThrough = (bytes: Bytes): Bytes => bytes;
type Downstream = grpc.ServerDuplexStream<Bytes, Bytes>;

// Bytes in, the same bytes out: the agent never re-encodes what the proxy and istiod say.
function rawMethod(path: string): grpc.MethodDefinition<Bytes, Bytes> {
  return { path, requestStream: true, responseStream: true, requestSerialize: passThrough, requestDeserialize: passThrough, responseSerialize: passThrough, responseDeserialize: passThrough };
}

const messageLimits: grpc.ChannelOptions = { 'grpc.max_receive_message_length': 64 * 1024 * 1024, 'grpc.max_send_message_length': 64 * 1024 * 1024 };

/**
 * Istio's local xDS proxy: the proxy dials a unix socket beside the agent, and each of its ADS
 * streams (state of the world or delta) is carried on a stream of its own to istiod, message
 * by message, unchanged. On state-of-the-world streams the agent also subscribes to the name
 * table (NDS) and keeps those responses for itself, as Istio's agent does.
 */
export class XdsProxy {
  readonly #options: XdsProxyOptions;
  readonly #server: grpc.Server;
  readonly #client: grpc.Client;
  readonly #streams = new Set<{ down: Downstream; up: grpc.ClientDuplexStream<Bytes, Bytes> }>();

  private constructor(options: XdsProxyOptions, server: grpc.Server) {
    this.#options = options;
    this.#server = server;
    this.#client = new grpc.Client(options.upstream, grpc.credentials.createInsecure(), messageLimits);
  }

  /** Listens on the socket (replacing a stale one left by an earlier run). */
  static async start(options: XdsProxyOptions): Promise<XdsProxy> {
    const server = new grpc.Server(messageLimits);
    const proxy = new XdsProxy(options, server);
    server.addService(
      { StreamAggregatedResources: rawMethod(adsMethodPath), DeltaAggregatedResources: rawMethod(deltaAdsMethodPath) },
      {
        StreamAggregatedResources: (call: Downstream) => proxy.#carry(call, adsMethodPath, options.onNameTable),
        DeltaAggregatedResources: (call: Downstream) => proxy.#carry(call, deltaAdsMethodPath, undefined),
      },
    );
    try {
      // The kernel's limit (sun_path); grpc would only say that binding failed.
      if (Buffer.byteLength(options.socketPath) > 107) throw new Error('a unix socket path is at most 107 bytes');
      await mkdir(dirname(options.socketPath), { recursive: true });
      await rm(options.socketPath, { force: true });
      await new Promise<void>((resolve, reject) => server.bindAsync(`unix:${options.socketPath}`, grpc.ServerCredentials.createInsecure(), (error) => (error ? reject(error) : resolve())));
    } catch (error) {
      proxy.#client.close();
      server.forceShutdown();
      throw new Error(`cannot serve the xDS proxy on ${options.socketPath}: ${(error as Error).message}`, { cause: error });
    }
    return proxy;
  }

  /** Streams carried now. */
  get streamCount(): number {
    return this.#streams.size;
  }

  async close(): Promise<void> {
    for (const { up } of this.#streams) up.cancel();
    this.#server.forceShutdown();
    this.#client.close();
    await rm(this.#options.socketPath, { force: true });
  }

  #carry(down: Downstream, path: string, onNameTable: NameTableSink | undefined): void {
    const { metrics, log } = this.#options;
    const up = this.#client.makeBidiStreamRequest(path, passThrough, passThrough, new grpc.Metadata());
    const stream = { down, up };
    this.#streams.add(stream);
    metrics.set('istio_agent_xds_proxy_streams', 'Proxy xDS streams the agent carries to istiod', this.#streams.size);
    log('info', `xds proxy: carrying a ${path === deltaAdsMethodPath ? 'delta' : 'state-of-the-world'} stream to ${this.#options.upstream}`);
    let first = true;
    let ended = false;
    const nds = { acceptedVersion: '' };
    const finish = () => {
      if (ended) return false;
      ended = true;
      this.#streams.delete(stream);
      metrics.set('istio_agent_xds_proxy_streams', 'Proxy xDS streams the agent carries to istiod', this.#streams.size);
      return true;
    };

    // Writes to a side that has already gone are dropped: its end is being handled.
    const toIstiod = (bytes: Bytes) => void (!ended && up.writable && up.write(bytes));
    const toProxy = (bytes: Bytes) => void (!ended && down.writable && down.write(bytes));
    down.on('data', (bytes: Bytes) => {
      metrics.increment('istio_agent_xds_proxy_requests', 'xDS requests the agent passed from the proxy to istiod');
      toIstiod(bytes);
      if (first && onNameTable) toIstiod(nameTableRequest());
      first = false;
    });
    down.on('end', () => up.end());
    down.on('cancelled', () => finish() && up.cancel());
    down.on('error', () => finish() && up.cancel());

    up.on('data', (bytes: Bytes) => {
      if (onNameTable && peekResponse(bytes).typeUrl === TypeUrl.NameTable) {
        toIstiod(this.#applyNameTable(bytes, onNameTable, nds));
        return;
      }
      metrics.increment('istio_agent_xds_proxy_responses', 'xDS responses the agent passed from istiod to the proxy');
      toProxy(bytes);
    });
    up.on('error', (error: grpc.ServiceError) => {
      if (!finish()) return;
      log('warn', `xds proxy: istiod stream ended: ${grpc.status[error.code] ?? error.code}: ${error.details}`);
      down.emit('error', { code: error.code, details: `upstream ${this.#options.upstream}: ${error.details}` });
    });
    up.on('status', (status: grpc.StatusObject) => {
      if (status.code === grpc.status.OK && finish()) down.end();
    });
  }

  /** Applies a NameTable response and returns the ACK, or the NACK naming what was wrong
   *  (which keeps the version last accepted on this stream). */
  #applyNameTable(bytes: Bytes, onNameTable: NameTableSink, nds: { acceptedVersion: string }): Bytes {
    const { log, metrics } = this.#options;
    const { version, nonce } = peekResponse(bytes);
    try {
      onNameTable(readNameTable(bytes), version);
    } catch (error) {
      const reason = (error as Error).message;
      log('warn', `xds proxy: rejecting NameTable version ${version}: ${reason}`);
      metrics.increment('istio_agent_nds_rejected', 'Name tables from istiod the agent rejected');
      return nameTableReply(nds.acceptedVersion, nonce, reason);
    }
    nds.acceptedVersion = version;
    metrics.increment('istio_agent_nds_updates', 'Name tables received from istiod');
    return nameTableReply(version, nonce);
  }
}
