import { describe, expect, it } from 'vitest';
import { DEFAULT_CAPTURE } from '../config/capture-config.ts';
import { runCommandLine, type Host, type Invocation } from './command-line.ts';

const ipv4Pod: Host = { resolvConf: () => 'nameserver 10.96.0.10\n', podAddresses: () => ['10.244.0.5'] };

async function parse(args: string[], env: NodeJS.ProcessEnv = {}, host: Host = ipv4Pod) {
  let invocation: Invocation | undefined;
  let stderr = '';
  const code = await runCommandLine(['node', 'iptables-init', ...args], env, host, async (i) => ((invocation = i), 0), (t) => (stderr += t));
  return { code, invocation, stderr };
}

describe('iptables-init command line', () => {
  it('reads the sidecar injector’s flags', async () => {
    const { code, invocation } = await parse(['-p', '15001', '-z', '15006', '-u', '1337', '-m', 'REDIRECT', '-i', '*', '-x', '', '-b', '*', '-d', '15090,15021,15020']);
    expect(code).toBe(0);
    expect(invocation).toEqual({
      command: 'apply',
      dryRun: false,
      skipRuleApply: false,
      config: { ...DEFAULT_CAPTURE, inboundPorts: '*', inboundPortsExclude: [15090, 15021, 15020], outboundCidrs: '*' },
    });
  });

  it('falls back to istio-iptables’ environment variables, flags winning', async () => {
    const { invocation } = await parse(['-p', '16001'], {
      ENVOY_PORT: '15999',
      INBOUND_CAPTURE_PORT: '16006',
      ISTIO_INBOUND_PORTS: '9080',
      ISTIO_LOCAL_EXCLUDE_PORTS: '15020',
      ISTIO_SERVICE_CIDR: '10.96.0.0/12',
      ISTIO_SERVICE_EXCLUDE_CIDR: '10.96.0.1',
      ISTIO_LOCAL_OUTBOUND_PORTS_EXCLUDE: '3306',
      ISTIO_OUTBOUND_PORTS: '443',
      PROXY_UID: '1500',
      ISTIO_INBOUND_INTERCEPTION_MODE: 'TPROXY',
      ISTIO_META_DNS_CAPTURE: 'true',
      INVALID_DROP: '1',
    });
    expect(invocation?.config).toMatchObject({
      proxyPort: 16001,
      inboundCapturePort: 16006,
      inboundPorts: [9080],
      inboundPortsExclude: [15020],
      outboundCidrs: [{ text: '10.96.0.0/12', family: 4 }],
      outboundCidrsExclude: [{ text: '10.96.0.1/32', family: 4 }],
      outboundPortsExclude: [3306],
      outboundPorts: [443],
      proxyUids: ['1500'],
      proxyGids: ['1500'],
      inboundInterceptionMode: 'TPROXY',
      redirectDns: true,
      dnsServers: ['10.96.0.10'],
      dropInvalid: true,
    });
  });

  it('reads the owner groups to capture from the environment', async () => {
    expect((await parse([])).invocation?.config.ownerGroups).toEqual({ except: true, groups: [] });
    expect((await parse([], { ISTIO_OUTBOUND_OWNER_GROUPS: 'java,202' })).invocation?.config.ownerGroups).toEqual({ except: false, groups: ['java', '202'] });
    expect((await parse([], { ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE: '888' })).invocation?.config.ownerGroups).toEqual({ except: true, groups: ['888'] });
    const bad = await parse([], { ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE: 'a b' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/\$ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE: "a b" is not a group/);
  });

  it('captures IPv6 when the pod’s address is IPv6, or with --dual-stack', async () => {
    expect((await parse([])).invocation?.config.ipv6).toBe(false);
    expect((await parse([], {}, { ...ipv4Pod, podAddresses: () => ['fd00::5'] })).invocation?.config.ipv6).toBe(true);
    expect((await parse(['--dual-stack'])).invocation?.config.ipv6).toBe(true);
  });

  it('reads the clean subcommand and the run modes', async () => {
    expect((await parse(['clean', '-m', 'TPROXY'])).invocation).toMatchObject({ command: 'clean', config: { inboundInterceptionMode: 'TPROXY' } });
    expect((await parse(['-n'])).invocation).toMatchObject({ command: 'apply', dryRun: true });
    expect((await parse(['--skip-rule-apply'])).invocation).toMatchObject({ skipRuleApply: true });
    expect((await parse(['--redirect-dns', '--capture-all-dns'])).invocation?.config).toMatchObject({ redirectDns: true, captureAllDns: true, dnsServers: [] });
  });

  it.each([
    [['-i', '10.0.0.0/33'], /--istio-service-cidr: "10.0.0.0\/33" has a bad prefix length/],
    [['-x', '*'], /--istio-service-exclude-cidr: "\*" is not a CIDR/],
    [['-p', '99999'], /--envoy-port: "99999" is not a port/],
    [['-d', '15090,x'], /--istio-local-exclude-ports: "x" is not a port/],
    [['-u', 'istio-proxy'], /--proxy-uid: "istio-proxy" is not a numeric id/],
    [['-g', ''], /--proxy-gid: no id given/],
    [['-m', 'NAT'], /--istio-inbound-interception-mode: "NAT" is not an interception mode/],
    [['-t', 'mark'], /--inbound-tproxy-mark: "mark" is not a mark/],
    [['--iptables-probe-port', '0'], /--iptables-probe-port: "0" is not a port/],
    [['--probe-timeout', '5 seconds'], /--probe-timeout: "5 seconds" is not a duration \(such as 5s, 500ms or 1m30s\)/],
    [['--probe-timeout', '0s'], /--probe-timeout: "0s" is not a positive duration/],
    [['-p'], /option '-p, --envoy-port <port>' argument missing/],
    [['--no-such-flag'], /unknown option '--no-such-flag'/],
    [['apply-now'], /too many arguments/],
  ])('exits 2 naming the flag and value: %j', async (args, message) => {
    const { code, invocation, stderr } = await parse(args);
    expect(code).toBe(2);
    expect(invocation).toBeUndefined();
    expect(stderr).toMatch(message);
  });

  it('exits 2 naming a bad environment value', async () => {
    const cidr = await parse([], { ISTIO_SERVICE_EXCLUDE_CIDR: '10.0.0.0/8,nope' });
    expect(cidr.code).toBe(2);
    expect(cidr.stderr).toMatch(/\$ISTIO_SERVICE_EXCLUDE_CIDR \(--istio-service-exclude-cidr\): "nope" is not a CIDR/);
    const flag = await parse([], { REDIRECT_DNS: 'yes' });
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/\$REDIRECT_DNS: "yes" is not a boolean/);
  });

  it('reads --run-validation with its probe port and timeout, defaulting as istio-iptables does', async () => {
    expect((await parse([])).invocation?.validation).toBeUndefined();
    expect((await parse(['--run-validation'])).invocation?.validation).toEqual({ probePort: 15002, timeoutMs: 5000 });
    expect((await parse(['--run-validation', '--iptables-probe-port', '15102', '--probe-timeout', '1m1.5s'])).invocation?.validation).toEqual({ probePort: 15102, timeoutMs: 61_500 });
    expect((await parse([], { RUN_VALIDATION: 'true', IPTABLES_PROBE_PORT: '15202', PROBE_TIMEOUT: '250ms' })).invocation?.validation).toEqual({ probePort: 15202, timeoutMs: 250 });
    const bad = await parse(['--run-validation'], { PROBE_TIMEOUT: 'soon' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/\$PROBE_TIMEOUT \(--probe-timeout\): "soon" is not a duration/);
  });
});
