// The client transport on its own, against a hand-made loopback server.
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { sidecarNode } from '../fixtures/istio-resources.ts';
import type { DiscoveryRequest } from '../resources/discovery.ts';
import { TypeUrl } from '../resources/type-url.ts';
import { adsMethodPath, adsServiceDefinition, deserializeResponse, serializeRequest, type WireResponse } from './ads-wire.ts';
import { ReconnectingStream } from './reconnecting-stream.ts';
import { EventLog } from './testing/event-log.ts';
import { listenOnLoopback, useCleanups } from './testing/loopback.ts';

type AdsCall = grpc.ServerDuplexStream<DiscoveryRequest, WireResponse>;
type Event =
  | { kind: 'request'; stream: number; request: DiscoveryRequest }
  | { kind: 'response'; nonce: string }
  | { kind: 'error'; message: string };

const cleanups = useCleanups();
const method = { path: adsMethodPath, serialize: serializeRequest, deserialize: deserializeResponse };

/** A server that logs each request with the number of its stream and hands calls to `onStream`. */
async function loggingServer(log: EventLog<Event>, onStream: (call: AdsCall, stream: number) => void): Promise<number> {
  let streams = 0;
  const server = new grpc.Server();
  server.addService(adsServiceDefinition, {
    StreamAggregatedResources: (call: AdsCall) => {
      const stream = ++streams;
      call.on('data', (request: DiscoveryRequest) => log.add({ kind: 'request', stream, request }));
      call.on('error', () => undefined);
      onStream(call, stream);
    },
  });
  cleanups.push(() => server.forceShutdown());
  return listenOnLoopback(server);
}

function response(nonce: string): WireResponse {
  return { version_info: '1', type_url: TypeUrl.Cluster, nonce, resources: [] };
}

describe('ReconnectingStream', { timeout: 20_000 }, () => {
  it('opens each stream with the resumed requests, the Node on the first only, and reports a lost stream', async () => {
    const log = new EventLog<Event>();
    // The first stream is ended by the server as soon as it hears from the client.
    const port = await loggingServer(log, (call, stream) => {
      if (stream === 1) call.once('data', () => call.end());
    });
    const stream = new ReconnectingStream<DiscoveryRequest, WireResponse>({
      target: `127.0.0.1:${port}`,
      node: sidecarNode,
      backoff: { initialMs: 10, maxMs: 50, jitter: 0 },
      method,
      label: 'test ADS',
      resume: () => [{ type_url: TypeUrl.Cluster }, { type_url: TypeUrl.Listener }],
      onResponse: async () => undefined,
      onError: (error) => log.add({ kind: 'error', message: error.message }),
    });
    cleanups.push(() => stream.close());

    expect((await log.next('request', (e) => e.stream === 1)).request).toEqual({ type_url: TypeUrl.Cluster, node: sidecarNode });
    const lost = await log.next('error');
    expect(lost.message).toBe(`test ADS stream to 127.0.0.1:${port} lost (the server ended the stream); reconnecting in 10 ms`);
    expect((await log.next('request', (e) => e.stream === 2)).request).toEqual({ type_url: TypeUrl.Cluster, node: sidecarNode });
    expect((await log.next('request', (e) => e.stream === 2)).request).toEqual({ type_url: TypeUrl.Listener });
  });

  it('hands responses over in order, and carries on after a handler fails', async () => {
    const log = new EventLog<Event>();
    const port = await loggingServer(log, (call) => {
      call.once('data', () => ['n1', 'n2', 'n3'].forEach((nonce) => call.write(response(nonce))));
    });
    const stream = new ReconnectingStream<DiscoveryRequest, WireResponse>({
      target: `127.0.0.1:${port}`,
      node: sidecarNode,
      method,
      label: 'test ADS',
      resume: () => [{ type_url: TypeUrl.Cluster }],
      onResponse: async ({ nonce }, current) => {
        await Promise.resolve();
        log.add({ kind: 'response', nonce });
        expect(current()).toBe(true);
        if (nonce === 'n2') throw new Error('no room for n2');
      },
      onError: (error) => log.add({ kind: 'error', message: error.message }),
    });
    cleanups.push(() => stream.close());

    expect(await log.next('response')).toEqual({ kind: 'response', nonce: 'n1' });
    expect(await log.next('response')).toEqual({ kind: 'response', nonce: 'n2' });
    expect(await log.next('error')).toEqual({ kind: 'error', message: 'test ADS response not handled: no room for n2' });
    expect(await log.next('response')).toEqual({ kind: 'response', nonce: 'n3' });
  });
});
