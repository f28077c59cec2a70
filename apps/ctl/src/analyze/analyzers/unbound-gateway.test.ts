import { describe, expect, it } from 'vitest';
import { documents, load, reviewsService, virtualService } from './analyzer-fixtures.ts';
import { unboundGateway } from './unbound-gateway.ts';

const gateway = (namespace: string): string => `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: web, namespace: ${namespace} }
spec:
  servers:
    - port: { number: 8080, name: http, protocol: HTTP }
      hosts: ['*']
`;

describe('unboundGateway', () => {
  it('reports a Gateway that no VirtualService names', () => {
    expect(unboundGateway(load(documents(gateway('default'), reviewsService)))).toMatchObject([{ level: 'Warning', code: 'MZN0002', kind: 'Gateway', name: 'web' }]);
  });

  it('accepts a Gateway named from its own or another namespace', () => {
    const vs = virtualService('reviews', '{ host: reviews }', '  gateways: [edge/web]');
    expect(unboundGateway(load(documents(gateway('edge'), reviewsService, vs)))).toEqual([]);
  });
});
