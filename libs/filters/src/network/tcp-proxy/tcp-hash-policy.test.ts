import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { compileTcpHashPolicy, connectionHashKey } from './tcp-hash-policy.ts';

const socketFrom = (remoteAddress: string) => ({ remoteAddress }) as Socket;

describe('tcp_proxy hash_policy', () => {
  it('hashes the client address under source_ip, and nothing without a policy', () => {
    const policies = compileTcpHashPolicy({ hash_policy: [{ source_ip: {} }] }, 'tcp_proxy');
    expect(connectionHashKey(policies, socketFrom('10.0.0.1'))).toBe(connectionHashKey(policies, socketFrom('10.0.0.1')));
    expect(connectionHashKey(policies, socketFrom('10.0.0.1'))).not.toBe(connectionHashKey(policies, socketFrom('10.0.0.2')));
    expect(connectionHashKey(compileTcpHashPolicy({}, 'tcp_proxy'), socketFrom('10.0.0.1'))).toBeUndefined();
  });

  it('names the field of a policy it cannot take', () => {
    expect(() => compileTcpHashPolicy({ hash_policy: [{ filter_state: { key: 'k' } }] }, 'tcp_proxy')).toThrow('tcp_proxy.hash_policy[0].filter_state: not supported');
    expect(() => compileTcpHashPolicy({ hash_policy: [{}] }, 'tcp_proxy')).toThrow('tcp_proxy.hash_policy[0]: source_ip is required');
    expect(() => compileTcpHashPolicy({ hash_policy: [{ source_ip: {} }, { source_ip: {} }] }, 'tcp_proxy')).toThrow('at most one');
  });
});
