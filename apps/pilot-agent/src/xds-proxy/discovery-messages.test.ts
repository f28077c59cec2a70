import { decode, encode, TypeUrl } from '@mizzen/xds';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { nameTableReply, nameTableRequest, peekResponse, readNameTable } from './discovery-messages.ts';

const table = { '@type': TypeUrl.NameTable, table: { 'web.demo.svc.cluster.local': { ips: ['10.96.0.9'], registry: 'Kubernetes' } } };

/** A DiscoveryResponse with its Any written by hand, so that its bytes can be anything. */
function responseWithAny(typeUrl: string, value: Uint8Array): Uint8Array {
  const any = protobuf.Writer.create().uint32(10).string(typeUrl).uint32(18).bytes(value).finish();
  return protobuf.Writer.create().uint32(10).string('n7').uint32(18).bytes(any).uint32(34).string(TypeUrl.NameTable).uint32(42).string('nonce-1').finish();
}

describe('discovery messages', () => {
  it('reads a response’s version, type and nonce without its resources', () => {
    const bytes = encode(TypeUrl.DiscoveryResponse, { version_info: 'v3', type_url: TypeUrl.Cluster, nonce: 'abc', resources: [] });
    expect(peekResponse(bytes)).toEqual({ version: 'v3', typeUrl: TypeUrl.Cluster, nonce: 'abc' });
    expect(peekResponse(Buffer.from([0xff, 0xff, 0xff]))).toEqual({ version: '', typeUrl: '', nonce: '' });
  });

  it('reads the name table of a response, and names what is wrong with a bad one', () => {
    const good = encode(TypeUrl.DiscoveryResponse, { version_info: 'n1', type_url: TypeUrl.NameTable, nonce: 'x', resources: [table] });
    expect(readNameTable(good)).toEqual(table);
    const garbage = responseWithAny(TypeUrl.NameTable, Buffer.from([0x0a, 0x50, 0x01]));
    expect(peekResponse(garbage)).toEqual({ version: 'n7', typeUrl: TypeUrl.NameTable, nonce: 'nonce-1' });
    expect(() => readNameTable(garbage)).toThrow(/^not a DiscoveryResponse: /);
    const cluster = encode(TypeUrl.DiscoveryResponse, { type_url: TypeUrl.NameTable, resources: [{ '@type': TypeUrl.Cluster, name: 'c' }] });
    expect(() => readNameTable(cluster)).toThrow(`resources[0] is a ${TypeUrl.Cluster}, not a NameTable`);
  });

  it('reads a table as the full codec does: several hosts, every field, empty fields left out', () => {
    const full = {
      '@type': TypeUrl.NameTable,
      table: {
        'reviews.default.svc.cluster.local': { ips: ['10.96.0.12', '10.96.0.13'], registry: 'Kubernetes', shortname: 'reviews', namespace: 'default' },
        'db.example.com': { ips: ['192.0.2.7'], registry: 'External', alt_hosts: ['db', 'db.example'] },
        'empty.local': {},
      },
    };
    const bytes = encode(TypeUrl.DiscoveryResponse, { version_info: 'n2', type_url: TypeUrl.NameTable, nonce: 'z', resources: [full] });
    expect(readNameTable(bytes)).toEqual((decode(TypeUrl.DiscoveryResponse, bytes).resources as unknown[])[0]);
    expect(readNameTable(bytes)).toEqual(full);
    const none = encode(TypeUrl.DiscoveryResponse, { type_url: TypeUrl.NameTable, resources: [{ '@type': TypeUrl.NameTable }] });
    expect(readNameTable(none)).toEqual({ '@type': TypeUrl.NameTable });
    expect(decode(TypeUrl.DiscoveryRequest, nameTableRequest())).toEqual({ type_url: TypeUrl.NameTable });
  });

  it('writes ACKs and NACKs', () => {
    expect(decode(TypeUrl.DiscoveryRequest, nameTableReply('n1', 'x'))).toEqual({ version_info: 'n1', type_url: TypeUrl.NameTable, response_nonce: 'x' });
    expect(decode(TypeUrl.DiscoveryRequest, nameTableReply('n1', 'y', 'bad table'))).toEqual({
      version_info: 'n1', type_url: TypeUrl.NameTable, response_nonce: 'y', error_detail: { code: 3, message: 'bad table' },
    });
  });
});
