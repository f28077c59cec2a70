import { describe, expect, it } from 'vitest';
import { documents, load, reviewsService, virtualService } from './analyzer-fixtures.ts';
import { virtualServiceGateways } from './virtual-service-gateways.ts';

const gateway = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: web }
spec:
  selector: { istio: ingressgateway }
  servers:
    - port: { number: 8080, name: http, protocol: HTTP }
      hosts: ['*.example.com']
`;

const bound = (host: string, gatewayName: string): string =>
  virtualService('front', '{ host: reviews }', `  gateways: [${gatewayName}]`).replace('hosts: [front]', `hosts: ['${host}']`);

describe('virtualServiceGateways', () => {
  it('accepts a host the gateway serves, and the mesh gateway', () => {
    expect(virtualServiceGateways(load(documents(reviewsService, gateway, bound('shop.example.com', 'web'), bound('reviews', 'mesh'))))).toEqual([]);
  });

  it('reports IST0132 for a host none of the gateway servers accept', () => {
    expect(virtualServiceGateways(load(documents(reviewsService, gateway, bound('shop.example.org', 'default/web'))))).toMatchObject([
      { level: 'Warning', code: 'IST0132', text: 'one or more host [shop.example.org] defined in VirtualService default/front not found in Gateway default/web.' },
    ]);
  });

  it('offers a namespace/host server host only to VirtualServices of that namespace', () => {
    const scoped = gateway.replace("hosts: ['*.example.com']", "hosts: ['shop/*.example.com', './admin.example.com']");
    expect(virtualServiceGateways(load(documents(scoped, bound('admin.example.com', 'web'))))).toEqual([]);
    expect(virtualServiceGateways(load(documents(scoped, bound('shop.example.com', 'web'))))).toMatchObject([{ code: 'IST0132' }]);
  });

  it('reports IST0101 for a gateway that does not exist', () => {
    expect(virtualServiceGateways(load(documents(reviewsService, bound('shop.example.com', 'webz'))))).toMatchObject([
      { level: 'Error', code: 'IST0101', text: 'Referenced gateway not found: "webz"' },
    ]);
  });
});
