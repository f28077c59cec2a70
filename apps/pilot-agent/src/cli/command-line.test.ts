import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCommandLine, type AgentConfig } from './command-line.ts';

async function parse(args: string[], env: NodeJS.ProcessEnv = {}) {
  let config: AgentConfig | undefined;
  let stderr = '';
  const code = await runCommandLine(['node', 'pilot-agent', ...args], env, async (c) => ((config = c), 0), (text) => (stderr += text));
  return { code, config, stderr };
}

describe('pilot-agent command line', () => {
  it('defaults every flag as Istio’s agent does', async () => {
    const { code, config } = await parse(['proxy', 'sidecar'], { POD_NAME: 'sleep', POD_NAMESPACE: 'demo', INSTANCE_IP: '10.1.0.4' });
    expect(code).toBe(0);
    expect(config).toMatchObject({
      discovery: { host: 'istiod.istio-system.svc', port: 15010 },
      domain: 'demo.svc.cluster.local',
      concurrency: 2,
      logLevel: 'warning',
      statusPort: 15021,
      adminPort: 15000,
      binaryPath: 'mizzen-proxy',
      configPath: join(tmpdir(), 'mizzen-agent', 'sleep.demo'),
      drainDurationMs: 5_000,
      identity: { podName: 'sleep', namespace: 'demo', instanceIps: ['10.1.0.4'] },
    });
  });

  it('reads every flag', async () => {
    const { config } = await parse([
      'proxy', 'sidecar', '--discovery-address', '127.0.0.1:16010', '--domain', 'x.svc.example', '--concurrency', '4',
      '--proxy-log-level', 'debug', '--status-port', '25021', '--proxy-admin-port', '25000', '--binary-path', 'envoy',
      '--config-path', '/var/run/proxy', '--drain-duration', '5s',
    ]);
    expect(config).toMatchObject({
      discovery: { host: '127.0.0.1', port: 16010 }, domain: 'x.svc.example', concurrency: 4, logLevel: 'debug',
      statusPort: 25021, adminPort: 25000, binaryPath: 'envoy', configPath: '/var/run/proxy', drainDurationMs: 5000,
    });
  });

  it('takes the agent port from PROXY_CONFIG.statusPort, as Istio’s injector means it', async () => {
    const { config } = await parse(['proxy'], { PROXY_CONFIG: '{"statusPort": 15030}' });
    expect(config).toMatchObject({ agentPort: 15030, statusPort: 15021 });
  });

  it('takes PROXY_CONFIG over the defaults, and flags over PROXY_CONFIG', async () => {
    const env = {
      PROXY_CONFIG: 'concurrency: 1\nterminationDrainDuration: 5s\nbinaryPath: envoy\nproxyMetadata: { ISTIO_META_MESH_ID: mesh1, POD_NAMESPACE: ignored }',
      POD_NAMESPACE: 'demo',
    };
    const { config } = await parse(['proxy', '--binary-path', 'mizzen-proxy'], env);
    expect(config).toMatchObject({ concurrency: 1, drainDurationMs: 5000, binaryPath: 'mizzen-proxy', identity: { namespace: 'demo', meta: { MESH_ID: 'mesh1' } } });
  });

  it('exits 2 naming a bad PROXY_CONFIG field', async () => {
    const { code, stderr } = await parse(['proxy'], { PROXY_CONFIG: 'concurrency: many' });
    expect(code).toBe(2);
    expect(stderr).toMatch(/PROXY_CONFIG\.concurrency/);
  });

  it('defaults the proxy type to sidecar, and takes router for a gateway', async () => {
    expect((await parse(['proxy'])).config?.proxyType).toBe('sidecar');
    expect((await parse(['proxy', 'router'])).config?.proxyType).toBe('router');
  });

  it('turns on the DNS proxy with ISTIO_META_DNS_CAPTURE, the xDS proxy unless told not to', async () => {
    const on = (await parse(['proxy', '--config-path', '/var/run/p'], { ISTIO_META_DNS_CAPTURE: 'true', DNS_PROXY_ADDR: 'localhost:25053' })).config!;
    expect(on.dns).toEqual({ address: { host: '127.0.0.1', port: 25053 }, resolvConf: '/etc/resolv.conf' });
    expect(on.xdsSocket).toBe('/var/run/p/XDS');
    const off = (await parse(['proxy', '--no-xds-proxy'], { PROXY_CONFIG: 'proxyMetadata: { ISTIO_META_DNS_CAPTURE: "false" }' })).config!;
    expect(off.dns).toBeUndefined();
    expect(off.xdsSocket).toBeUndefined();
    expect((await parse(['proxy', '--xds-proxy-socket', '/run/x.sock'])).config!.xdsSocket).toBe('/run/x.sock');
    expect((await parse(['proxy'], { XDS_PROXY_SOCKET: '/run/y.sock' })).config!.xdsSocket).toBe('/run/y.sock');
  });

  it.each([
    [{ ISTIO_META_DNS_CAPTURE: 'maybe' }, /ISTIO_META_DNS_CAPTURE: "maybe" is not true or false/],
    [{ ISTIO_META_DNS_CAPTURE: 'true', DNS_PROXY_ADDR: 'localhost' }, /DNS_PROXY_ADDR: "localhost" is not host:port/],
    [{ ISTIO_KUBE_APP_PROBERS: '{' }, /ISTIO_KUBE_APP_PROBERS: not valid JSON/],
    [{ ISTIO_PROMETHEUS_ANNOTATIONS: '{"port":"x"}' }, /ISTIO_PROMETHEUS_ANNOTATIONS.port/],
  ])('exits 2 naming a bad agent variable: %j', async (env, message) => {
    const { code, stderr } = await parse(['proxy'], env);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });

  it.each([
    [['proxy', 'sidecar', '--status-port', 'abc'], /--status-port.*'abc' is invalid.*not a port/],
    [['proxy', 'sidecar', '--proxy-admin-port', '70000'], /--proxy-admin-port.*'70000'/],
    [['proxy', 'sidecar', '--concurrency', '-1'], /--concurrency.*'-1'/],
    [['proxy', 'sidecar', '--drain-duration', '10'], /--drain-duration.*'10'.*not a duration/],
    [['proxy', 'sidecar', '--discovery-address', 'istiod'], /--discovery-address.*'istiod'.*not host:port/],
    [['proxy', 'sidecar', '--proxy-log-level', 'loud'], /--proxy-log-level.*'loud'.*Allowed choices/],
    [['proxy', 'sidecar', '--binary-path'], /--binary-path.*argument missing/],
    [['proxy', 'sidecar', '--no-such-flag'], /unknown option '--no-such-flag'/],
    [['proxy', 'waypoint'], /'waypoint' is invalid.*sidecar, router/],
    [['proxi'], /unknown command 'proxi'/],
  ])('exits 2 naming the problem: %j', async (args, message) => {
    const { code, config, stderr } = await parse(args);
    expect(code).toBe(2);
    expect(config).toBeUndefined();
    expect(stderr).toMatch(message);
  });

  it('reads the drain switches from the environment', async () => {
    const { config } = await parse(['proxy'], { EXIT_ON_ZERO_ACTIVE_CONNECTIONS: 'TRUE', MINIMUM_DRAIN_DURATION: '1s500ms' });
    expect(config).toMatchObject({ exitOnZeroActiveConnections: true, minDrainMs: 1500 });
  });

  it.each([
    [{ EXIT_ON_ZERO_ACTIVE_CONNECTIONS: 'yes' }, /EXIT_ON_ZERO_ACTIVE_CONNECTIONS: "yes" is not true or false/],
    [{ MINIMUM_DRAIN_DURATION: '5' }, /MINIMUM_DRAIN_DURATION: "5" is not a duration/],
  ])('exits 2 naming a bad switch: %j', async (env, message) => {
    const { code, stderr } = await parse(['proxy'], env);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });

  it('exits 2 naming a bad environment variable', async () => {
    const { code, stderr } = await parse(['proxy', 'sidecar'], { ISTIO_METAJSON_LABELS: '[1,2]' });
    expect(code).toBe(2);
    expect(stderr).toMatch(/ISTIO_METAJSON_LABELS/);
  });

  it('passes on the exit code of the proxy run', async () => {
    expect(await runCommandLine(['node', 'pilot-agent', 'proxy'], {}, async () => 42, () => {})).toBe(42);
  });
});
