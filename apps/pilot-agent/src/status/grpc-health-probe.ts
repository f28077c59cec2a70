import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import type { ProbeResult } from './app-probers.ts';

// The kubelet's gRPC probe is the standard health service (grpc.health.v1.Health/Check); its two
// one-field messages are written by hand: request `string service = 1`, response
// `ServingStatus status = 1` where SERVING is 1.
const CHECK = '/grpc.health.v1.Health/Check';
const SERVING = 1;
const STATUS_NAMES = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];

function encodeRequest(service: string): Buffer {
  const writer = protobuf.Writer.create();
  if (service !== '') writer.uint32((1 << 3) | 2).string(service);
  return Buffer.from(writer.finish());
}

function decodeStatus(bytes: Buffer): number {
  const reader = protobuf.Reader.create(bytes);
  let status = 0;
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag === 1 << 3) status = reader.int32();
    else reader.skipType(tag & 7);
  }
  return status;
}

/** Asks the app's gRPC health service; 200 when it answers SERVING, 500 with the reason otherwise. */
export function grpcHealthProbe(probe: { host: string; port: number; service: string; timeoutMs: number }): Promise<ProbeResult> {
  const where = `grpc ${probe.host}:${probe.port}${probe.service ? ` service ${probe.service}` : ''}`;
  const client = new grpc.Client(`${probe.host}:${probe.port}`, grpc.credentials.createInsecure());
  return new Promise<ProbeResult>((resolve) => {
    client.makeUnaryRequest(CHECK, encodeRequest, (bytes: Buffer) => bytes, probe.service, new grpc.Metadata(), { deadline: Date.now() + probe.timeoutMs }, (error, reply) => {
      if (error) return resolve({ status: 500, body: `${where} failed: ${grpc.status[error.code] ?? error.code}: ${error.details}\n` });
      let status: number;
      try {
        status = decodeStatus(reply!);
      } catch {
        return resolve({ status: 500, body: `${where} sent a reply that is not a HealthCheckResponse\n` });
      }
      const name = STATUS_NAMES[status] ?? String(status);
      resolve(status === SERVING ? { status: 200, body: `${where} is ${name}\n` } : { status: 500, body: `${where} is ${name}\n` });
    });
  }).finally(() => client.close());
}
