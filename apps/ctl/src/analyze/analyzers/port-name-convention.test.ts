import { describe, expect, it } from 'vitest';
import { load } from './analyzer-fixtures.ts';
import { portNameConvention } from './port-name-convention.ts';

const service = (ports: string): string => `
apiVersion: v1
kind: Service
metadata: { name: db }
spec:
  ports: ${ports}
`;

describe('portNameConvention', () => {
  it('reports a port name without a protocol prefix', () => {
    expect(portNameConvention(load(service('[{ name: web, port: 80, targetPort: 8080 }]')))).toMatchObject([
      { level: 'Info', code: 'IST0118', name: 'db', text: "Port name web (port: 80, targetPort: 8080) doesn't follow the naming convention of Istio port." },
    ]);
  });

  it('accepts a protocol name, a protocol-suffix name, appProtocol and an unnamed port', () => {
    const ports = '[{ name: http, port: 80 }, { name: grpc-web-ui, port: 81 }, { name: db, port: 82, appProtocol: mysql }]';
    expect(portNameConvention(load(service(ports)))).toEqual([]);
    expect(portNameConvention(load(service('[{ port: 83 }]')))).toEqual([]);
  });
});
