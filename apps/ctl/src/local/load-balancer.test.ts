import { once } from 'node:events';
import { createServer, connect, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { Deployment, Service } from '@mizzen/config';
import { exposeOnLoopback, loadBalancerPlans } from './load-balancer.ts';
import { planPods } from './pod-plan.ts';

const gateway: Deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'istio-ingressgateway', namespace: 'istio-system' },
  spec: {
    selector: { matchLabels: { istio: 'ingressgateway' } },
    template: { metadata: { labels: { istio: 'ingressgateway' } }, spec: { containers: [{ name: 'istio-proxy', command: ['pilot-agent'], ports: [{ name: 'http2', containerPort: 8080 }] }] } },
  },
};
const service = (type: Service['spec']['type'], namespace = 'istio-system'): Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'istio-ingressgateway', namespace },
  spec: { type, selector: { istio: 'ingressgateway' }, ports: [{ name: 'http2', port: 80, targetPort: 'http2' }, { name: 'dns', port: 53, protocol: 'UDP' }] },
});

describe('loadBalancerPlans', () => {
  const pods = planPods([gateway], { address: () => '10.244.3.2' });

  it('sends each TCP port of a LoadBalancer service to the selected pods at the target port', () => {
    expect(loadBalancerPlans([service('LoadBalancer')], pods)).toEqual([{ service: 'istio-ingressgateway.istio-system', port: 80, targets: [{ host: '10.244.3.2', port: 8080 }] }]);
  });

  it('leaves other service types and pods of other namespaces alone', () => {
    expect(loadBalancerPlans([service('ClusterIP'), service(undefined)], pods)).toEqual([]);
    expect(loadBalancerPlans([service('LoadBalancer', 'default')], pods)).toEqual([]);
  });
});

describe('exposeOnLoopback', () => {
  it('passes connections on the host loopback to the target, on another port when its own is taken', async () => {
    const echo = createServer((socket) => socket.pipe(socket)).listen(0, '127.0.0.1');
    await once(echo, 'listening');
    const target = { host: '127.0.0.1', port: (echo.address() as AddressInfo).port };
    // The service's own port is the echo server's, so it is taken.
    const { exposed, server } = await exposeOnLoopback({ service: 's.ns', port: target.port, targets: [target] });
    try {
      expect(exposed.hostPort).not.toBe(target.port);
      const client = connect(exposed.hostPort, '127.0.0.1');
      client.end('hello');
      let answer = '';
      client.setEncoding('utf8').on('data', (d: string) => (answer += d));
      await once(client, 'end');
      expect(answer).toBe('hello');
    } finally {
      server.close();
      echo.close();
    }
  });
});
