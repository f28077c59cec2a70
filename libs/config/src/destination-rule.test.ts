import { describe, expect, it } from 'vitest';
import { loadDocuments } from './yaml-loader.ts';

const reviews = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: reviews }
spec:
  host: reviews
  trafficPolicy:
    loadBalancer: { simple: LEAST_REQUEST }
    connectionPool:
      tcp: { maxConnections: 100, connectTimeout: 30ms, tcpKeepalive: { time: 7200s, interval: 75s } }
      http: { http1MaxPendingRequests: 10, http2MaxRequests: 1000, maxRequestsPerConnection: 10, maxRetries: 3 }
    outlierDetection: { consecutive5xxErrors: 7, interval: 5m, baseEjectionTime: 15m, maxEjectionPercent: 50 }
    portLevelSettings:
    - port: { number: 9080 }
      loadBalancer: { consistentHash: { httpCookie: { name: user, ttl: 0s } } }
  subsets:
  - name: v1
    labels: { version: v1 }
  - name: v2
    labels: { version: v2 }
    trafficPolicy:
      loadBalancer: { consistentHash: { httpHeaderName: end-user, ringHash: { minimumRingSize: 2048 } } }
`;

function errorOf(text: string): string {
  const { objects, errors } = loadDocuments(text, 'dr.yaml');
  expect(objects).toEqual([]);
  return errors[0].message;
}

describe('DestinationRule validation', () => {
  it('accepts subsets and traffic policies under each API version', () => {
    for (const version of ['v1', 'v1beta1', 'v1alpha3']) {
      expect(loadDocuments(reviews.replace('networking.istio.io/v1', `networking.istio.io/${version}`), 'dr.yaml').errors).toEqual([]);
    }
  });

  it.each([
    ['no host', reviews.replace('  host: reviews\n', ''), 'spec.host: required'],
    ['a subset without name', reviews.replace('  - name: v1\n    labels', '  - labels'), 'spec.subsets[0].name: required: a subset needs a name'],
    ['duplicate subset names', reviews.replace('name: v2', 'name: v1'), 'spec.subsets[1].name: duplicate subset name "v1"'],
    ['a subset name that is not a DNS label', reviews.replace('name: v2', 'name: V_2'), 'spec.subsets[1].name: must be a DNS label'],
    ['an unknown load balancer', reviews.replace('LEAST_REQUEST', 'FASTEST'), 'spec.trafficPolicy.loadBalancer.simple: must be one of UNSPECIFIED, LEAST_CONN, RANDOM, PASSTHROUGH, ROUND_ROBIN, LEAST_REQUEST, got "FASTEST"'],
    ['simple and consistent hash together', reviews.replace('{ simple: LEAST_REQUEST }', '{ simple: RANDOM, consistentHash: { useSourceIp: true } }'), 'spec.trafficPolicy.loadBalancer: only one of simple, consistentHash may be set'],
    ['a consistent hash without a key', reviews.replace('httpHeaderName: end-user, ', ''), 'spec.subsets[1].trafficPolicy.loadBalancer.consistentHash: one of httpHeaderName, httpCookie, useSourceIp, httpQueryParameterName is required'],
    ['a cookie without name', reviews.replace('httpCookie: { name: user, ttl: 0s }', 'httpCookie: { ttl: 0s }'), 'spec.trafficPolicy.portLevelSettings[0].loadBalancer.consistentHash.httpCookie.name: required'],
    ['an ejection percent above 100', reviews.replace('maxEjectionPercent: 50', 'maxEjectionPercent: 150'), 'spec.trafficPolicy.outlierDetection.maxEjectionPercent: must be an integer between 0 and 100, got 150'],
    ['a zero interval', reviews.replace('interval: 5m', 'interval: 0s'), 'spec.trafficPolicy.outlierDetection.interval: must be at least 1ms, got "0s"'],
    ['port settings without a port', reviews.replace('    - port: { number: 9080 }\n      loadBalancer', '    - loadBalancer'), 'spec.trafficPolicy.portLevelSettings[0].port.number: required'],
    ['an unknown connection pool field', reviews.replace('maxRetries: 3', 'maxRetry: 3'), 'spec.trafficPolicy.connectionPool.http.maxRetry: unknown field'],
    ['labels that are not strings', reviews.replace('{ version: v1 }', '{ version: [v1] }'), 'spec.subsets[0].labels.version: must be a string, got a list'],
  ])('rejects %s', (_what, text, expected) => {
    const message = errorOf(text);
    expect(message).toContain(expected);
    expect(message).toMatch(/^dr\.yaml \(document 1\): DestinationRule default\/reviews: /);
  });
});
