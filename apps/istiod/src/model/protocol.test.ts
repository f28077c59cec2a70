import { describe, expect, it } from 'vitest';
import { isHttp, portProtocol } from './protocol.ts';

describe('portProtocol', () => {
  it.each([
    [{ name: 'http' }, 'HTTP'],
    [{ name: 'http-web' }, 'HTTP'],
    [{ name: 'http2-api' }, 'HTTP2'],
    [{ name: 'grpc' }, 'GRPC'],
    [{ name: 'tcp-db' }, 'TCP'],
    [{ name: 'tls-x' }, 'TLS'],
    [{ name: 'https' }, 'TLS'],
    [{ name: 'mongo' }, 'TCP'],
    [{ name: 'redis-cache' }, 'TCP'],
    [{ name: 'mysql' }, 'TCP'],
    [{ name: 'http_proxy' }, 'HTTP'],
    [{ name: 'httpx' }, 'AUTO'],
    [{ name: 'web', appProtocol: 'HTTP' }, 'HTTP'],
    [{ name: 'http', appProtocol: 'grpc' }, 'GRPC'],
    [{ name: 'dns', protocol: 'UDP' }, 'UDP'],
    [{}, 'AUTO'],
  ])('%j is %s', (port, protocol) => {
    expect(portProtocol(port)).toBe(protocol);
  });

  it('knows which protocols are HTTP', () => {
    expect(['HTTP', 'HTTP2', 'GRPC', 'TCP', 'TLS'].map((p) => isHttp(p as never))).toEqual([true, true, true, false, false]);
  });
});
