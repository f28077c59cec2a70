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

  it('defaults the proxy type to sidecar', async () => {
    expect((await parse(['proxy'])).code).toBe(0);
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
    [['proxy', 'router'], /'router' is invalid.*sidecar/],
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
