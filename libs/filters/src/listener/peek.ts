import type { Socket } from 'node:net';
import type { InspectOutcome } from './listener-filter.ts';

/**
 * Reads the first bytes of a connection without consuming them: bytes are gathered until
 * `enough` says so, then put back (`unshift`) for whoever reads next (the TLS handshake, the
 * HTTP codec). Gives up after `timeoutMs`, or when the peer closes before there is enough.
 */
export function peek(socket: Socket, enough: (data: Buffer) => boolean, timeoutMs: number): Promise<{ data: Buffer; outcome: InspectOutcome }> {
  return new Promise((resolve) => {
    let data: Buffer = Buffer.alloc(0);
    let done = false;
    const finish = (outcome: InspectOutcome): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.removeListener('readable', onReadable);
      socket.removeListener('end', onEnd);
      socket.removeListener('close', onEnd);
      // The bytes go back in front while the stream is still open; a closed one has no reader.
      if (outcome !== 'closed' && data.length > 0) socket.unshift(data);
      resolve({ data, outcome });
    };
    const onReadable = (): void => {
      let chunk: Buffer | null;
      // Stop reading as soon as there is enough, so that the end of the stream (if it came
      // too) is not reached before the bytes go back.
      while (!done && (chunk = socket.read() as Buffer | null) !== null) {
        data = data.length === 0 ? chunk : Buffer.concat([data, chunk]);
        if (enough(data)) finish('continue');
      }
    };
    const onEnd = (): void => finish('closed');
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    socket.on('readable', onReadable);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
  });
}
