import { readFileSync } from 'node:fs';
import { loadDocuments, MemoryConfigStore, type KubeObject } from '@mizzen/config';
import { ISTIO_DEFAULT_FORMAT } from '@mizzen/filters';
import { normalize } from '@mizzen/xds';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildPushContext } from '../model/push-context.ts';
import { lds } from '../xds/lds.ts';
import { accessLogFromConfigMap, type MeshAccessLog } from './access-log.ts';
import { codecLoadTimeout, loadEnvoyCodec, podProxy, routerProxy } from './test-fixtures.ts';
import type { JsonObject } from './envoy-json.ts';

const labels = { app: 'reviews', version: 'v2' };

function meshConfigMap(mesh: string, namespace = 'istio-system'): string {
  return `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: istio, namespace: ${namespace} }\ndata:\n  mesh: |\n${mesh
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n')}\n`;
}

const testdata = (file: string): string => readFileSync(new URL(`./testdata/${file}`, import.meta.url), 'utf8');

function pushWith(...extra: string[]) {
  const text = [testdata('bookinfo.yaml'), testdata('traffic/ingress-gateway-pod.yaml'), testdata('traffic/bookinfo-gateway.yaml'), ...extra].join('\n---\n');
  const loaded = loadDocuments(text, 'mesh.yaml');
  expect(loaded.errors).toEqual([]);
  const store = new MemoryConfigStore();
  store.replaceAll(loaded.objects);
  return buildPushContext(store, 'test');
}

/** The typed configs of every connection manager and tcp_proxy of the listeners. */
function terminalConfigs(listeners: JsonObject[]): JsonObject[] {
  return listeners.flatMap((l) =>
    (l.filter_chains as JsonObject[]).flatMap((c) => (c.filters as JsonObject[]).filter((f) => /http_connection_manager|tcp_proxy/.test(f.name as string)).map((f) => f.typed_config as JsonObject)),
  );
}

function configMap(mesh: unknown): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'istio', namespace: 'istio-system' }, data: { mesh } };
}

beforeAll(loadEnvoyCodec, codecLoadTimeout);

describe('access logs from the mesh config', () => {
  it('logs every connection manager and tcp_proxy of a sidecar to the file, in Istio text format', () => {
    const push = pushWith(meshConfigMap('accessLogFile: /dev/stdout'));
    for (const mode of ['REDIRECT', 'NONE'] as const) {
      const listeners = lds.generate(push, podProxy('reviews-v2-1', '10.244.0.12', labels, mode), []);
      const configs = terminalConfigs(listeners);
      expect(configs.length).toBeGreaterThan(2);
      for (const config of configs) {
        expect(config.access_log).toEqual([
          {
            name: 'envoy.access_loggers.file',
            typed_config: {
              '@type': 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog',
              path: '/dev/stdout',
              log_format: { text_format_source: { inline_string: ISTIO_DEFAULT_FORMAT } },
            },
          },
        ]);
      }
      // Valid Envoy JSON, as the proxy will be sent it.
      for (const listener of listeners) expect(normalize(listener['@type'] as string, listener)).toEqual(listener);
    }
  });

  it('logs on gateways too, and in JSON with the user format when asked', () => {
    const push = pushWith(meshConfigMap('accessLogFile: /var/log/access.log\naccessLogEncoding: JSON\naccessLogFormat: \'{"code":"%RESPONSE_CODE%","flags":"%RESPONSE_FLAGS%"}\''));
    const listeners = lds.generate(push, podProxy('reviews-v2-1', '10.244.0.12', labels, 'REDIRECT'), []);
    const logger = (terminalConfigs(listeners)[0].access_log as JsonObject[])[0].typed_config as JsonObject;
    expect(logger.path).toBe('/var/log/access.log');
    expect(logger.log_format).toEqual({ json_format: { code: '%RESPONSE_CODE%', flags: '%RESPONSE_FLAGS%' } });
    const gateway = terminalConfigs(lds.generate(push, routerProxy('istio-ingressgateway-1', '10.244.0.2', { istio: 'ingressgateway' }), []));
    expect(gateway.length).toBeGreaterThan(0);
    for (const config of gateway) expect(config.access_log).toHaveLength(1);
  });

  it('logs nothing without the istio ConfigMap in istio-system, or without accessLogFile', () => {
    for (const push of [pushWith(), pushWith(meshConfigMap('accessLogFile: /dev/stdout', 'default')), pushWith(meshConfigMap('accessLogEncoding: JSON'))]) {
      const configs = terminalConfigs(lds.generate(push, podProxy('reviews-v2-1', '10.244.0.12', labels, 'REDIRECT'), []));
      expect(configs.length).toBeGreaterThan(0);
      for (const config of configs) expect(config.access_log).toBeUndefined();
    }
  });

  it('turns access logs off with a warning naming the field when the mesh config is wrong', () => {
    const push = pushWith(meshConfigMap('accessLogFile: /dev/stdout\naccessLogEncoding: XML'));
    expect(push.accessLog).toBeUndefined();
    expect(push.registry.warnings).toContain('ConfigMap istio-system/istio: data.mesh.accessLogEncoding: must be TEXT or JSON, got "XML"; access logs are off');
  });

  it.each([
    [configMap(7), 'data.mesh: must be a string holding the mesh config in YAML'],
    [configMap('a: [1'), /^data\.mesh: not valid YAML/],
    [configMap('- 1'), 'data.mesh: must be a map of MeshConfig fields'],
    [configMap('accessLogFile: 3'), 'data.mesh.accessLogFile: must be a path such as /dev/stdout'],
    [configMap('accessLogFile: /dev/stdout\naccessLogFormat: ""'), 'data.mesh.accessLogFormat: must be a non-empty format string'],
    [configMap('accessLogFile: /dev/stdout\naccessLogEncoding: JSON\naccessLogFormat: "%START_TIME%"'), /accessLogFormat: with accessLogEncoding JSON it must be a JSON object/],
  ])('refuses %j', (cm, message) => {
    expect(() => accessLogFromConfigMap(cm)).toThrow(message);
  });

  it('ends a user text format with a newline', () => {
    const log: MeshAccessLog | undefined = accessLogFromConfigMap(configMap('accessLogFile: /dev/stdout\naccessLogFormat: "%RESPONSE_CODE% %RESPONSE_FLAGS%"'));
    expect(log).toEqual({ file: '/dev/stdout', encoding: 'TEXT', format: '%RESPONSE_CODE% %RESPONSE_FLAGS%' });
    const push = pushWith(meshConfigMap('accessLogFile: /dev/stdout\naccessLogFormat: "%RESPONSE_CODE% %RESPONSE_FLAGS%"'));
    const [config] = terminalConfigs(lds.generate(push, podProxy('reviews-v2-1', '10.244.0.12', labels, 'NONE'), []));
    expect(((config.access_log as JsonObject[])[0].typed_config as JsonObject).log_format).toEqual({ text_format_source: { inline_string: '%RESPONSE_CODE% %RESPONSE_FLAGS%\n' } });
  });
});
