// What a server's handler hears that is alike in both ADS variants, recorded as events.
import type { JsonObject } from '../../json/codec.ts';
import type { StreamHandler } from '../server-streams.ts';

export type StreamEvent =
  | { kind: 'open'; id: string; node: JsonObject }
  | { kind: 'ack'; id: string; typeUrl: string; version: string }
  | { kind: 'nack'; id: string; typeUrl: string; version: string; error: string }
  | { kind: 'close'; id: string };

/** Handler calls that log stream opens, ACKs, NACKs and closes; a variant adds onSubscribe. */
export function recordStreamEvents(log: { add(event: StreamEvent): void }): StreamHandler {
  return {
    onStreamOpen: ({ id, node }) => log.add({ kind: 'open', id, node }),
    onAck: (id, typeUrl, version) => log.add({ kind: 'ack', id, typeUrl, version }),
    onNack: (id, typeUrl, version, _nonce, error) => log.add({ kind: 'nack', id, typeUrl, version, error }),
    onStreamClose: (id) => log.add({ kind: 'close', id }),
  };
}
