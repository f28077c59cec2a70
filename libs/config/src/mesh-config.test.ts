import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readMeshConfig } from './mesh-config.ts';

describe('readMeshConfig', () => {
  it('keeps the fields Mizzen acts on', () => {
    const { mesh, errors } = readMeshConfig(
      parse(`
outboundTrafficPolicy: { mode: REGISTRY_ONLY }
defaultHttpRetryPolicy: { attempts: 3, retryOn: "5xx,gateway-error", perTryTimeout: 2s }
connectTimeout: 3s
tcpKeepalive: { probes: 3, time: 60s, interval: 10s }
enableAutoMtls: false
trustDomain: example.org
rootNamespace: mesh-root
accessLogFile: /dev/stdout
defaultConfig: { discoveryAddress: istiod:15012 }
`),
    );
    expect(errors).toEqual([]);
    expect(mesh).toEqual({
      outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' },
      defaultHttpRetryPolicy: { attempts: 3, retryOn: '5xx,gateway-error', perTryTimeout: '2s' },
      connectTimeout: '3s',
      tcpKeepalive: { probes: 3, time: '60s', interval: '10s' },
      enableAutoMtls: false,
      trustDomain: 'example.org',
      rootNamespace: 'mesh-root',
    });
  });

  it('reports each bad field with its path and keeps the good ones', () => {
    const { mesh, errors } = readMeshConfig(
      parse(`
outboundTrafficPolicy: { mode: DENY }
defaultHttpRetryPolicy: { attempts: 2, retryOn: sometimes }
connectTimeout: soon
tcpKeepalive: { probes: -1 }
enableAutoMtls: "yes"
trustDomain: "bad domain"
rootNamespace: Istio_System
outboundTraficPolicy: {}
`),
      'data.mesh',
    );
    expect(mesh).toEqual({});
    expect(errors).toEqual([
      'data.mesh.outboundTrafficPolicy.mode: must be one of ALLOW_ANY, REGISTRY_ONLY, got "DENY"; the default is used',
      'data.mesh.defaultHttpRetryPolicy.retryOn: unknown retry condition "sometimes"; the default is used',
      'data.mesh.connectTimeout: must be a duration such as "1.5s", "100ms" or "1m", got "soon"; the default is used',
      'data.mesh.tcpKeepalive.probes: must be an integer between 0 and 4294967295, got -1; the default is used',
      'data.mesh.enableAutoMtls: must be true or false, got string "yes"; the default is used',
      'data.mesh.trustDomain: must be a domain such as "cluster.local", got "bad domain"; the default is used',
      `data.mesh.rootNamespace: must be a DNS label (lowercase letters, digits and '-'), got "Istio_System"; the default is used`,
      'data.mesh.outboundTraficPolicy: unknown MeshConfig field, ignored',
    ]);
  });

  it('takes an empty mesh config as all defaults, and rejects one that is not a mapping', () => {
    expect(readMeshConfig(null)).toEqual({ mesh: {}, errors: [] });
    expect(readMeshConfig(['a'], 'data.mesh').errors).toEqual(['data.mesh: must be a mapping of MeshConfig fields, got a list']);
  });
});
