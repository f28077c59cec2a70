import { describe, expect, it } from 'vitest';
import { compileCluster } from './cluster-config.ts';
import { DnsRefresher, resolveEndpoints, resolveHost, type Lookup } from './dns-resolution.ts';

// A resolver with both families for dual.test, IPv4 only for v4.test, IPv6 only for v6.test.
const records: Record<string, { 4: string[]; 6: string[] }> = {
  'dual.test': { 4: ['192.0.2.1', '192.0.2.2'], 6: ['2001:db8::1'] },
  'v4.test': { 4: ['192.0.2.4'], 6: [] },
  'v6.test': { 4: [], 6: ['2001:db8::6'] },
};
const lookup: Lookup = async (host, family) => {
  const r = records[host];
  if (!r) throw new Error(`ENOTFOUND ${host}`);
  return family === 0 ? [...r[4], ...r[6]] : r[family];
};

describe('DNS lookup family', () => {
  it.each([
    ['V4_ONLY', 'dual.test', ['192.0.2.1', '192.0.2.2']],
    ['V6_ONLY', 'dual.test', ['2001:db8::1']],
    ['AUTO', 'dual.test', ['2001:db8::1']],
    ['AUTO', 'v4.test', ['192.0.2.4']],
    ['V4_PREFERRED', 'dual.test', ['192.0.2.1', '192.0.2.2']],
    ['V4_PREFERRED', 'v6.test', ['2001:db8::6']],
    ['ALL', 'dual.test', ['192.0.2.1', '192.0.2.2', '2001:db8::1']],
  ] as const)('%s of %s', async (family, host, expected) => {
    expect(await resolveHost(host, family, lookup)).toEqual(expected);
  });

  it('fails when the family has no address, and passes IPs through', async () => {
    await expect(resolveHost('v6.test', 'V4_ONLY', lookup)).rejects.toThrow();
    await expect(resolveHost('nowhere.test', 'AUTO', lookup)).rejects.toThrow('ENOTFOUND');
    expect(await resolveHost('10.0.0.1', 'V6_ONLY', lookup)).toEqual(['10.0.0.1']);
  });
});

const dnsCluster = (type: string, extra: object = {}) => compileCluster({
  name: 'c', type, dns_lookup_family: 'V4_ONLY', respect_dns_ttl: true, dns_refresh_rate: '1s', ...extra,
  load_assignment: { endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 'dual.test', port_value: 80 } } }, load_balancing_weight: 3 }] }] },
});

describe('DNS clusters', () => {
  it('compiles the DNS settings and keeps the host names for resolution', () => {
    const c = dnsCluster('STRICT_DNS');
    expect(c.endpoints).toEqual([]);
    expect(c.dns).toMatchObject({ family: 'V4_ONLY', refreshMs: 1000, respectTtl: true, logical: false, targets: [{ address: 'dual.test', port: 80, weight: 3 }] });
  });

  it('turns each address into a host under STRICT_DNS, and only the first under LOGICAL_DNS', async () => {
    expect((await resolveEndpoints(dnsCluster('STRICT_DNS').dns!, lookup)).map((e) => [e.address, e.port, e.weight])).toEqual([['192.0.2.1', 80, 3], ['192.0.2.2', 80, 3]]);
    expect((await resolveEndpoints(dnsCluster('LOGICAL_DNS').dns!, lookup)).map((e) => e.address)).toEqual(['192.0.2.1']);
  });

  it('names a bad setting', () => {
    expect(() => dnsCluster('STRICT_DNS', { dns_lookup_family: 'V5' })).toThrow('Cluster.dns_lookup_family');
    expect(() => compileCluster({ name: 'c', type: 'LOGICAL_DNS', load_assignment: { endpoints: [] } })).toThrow('Cluster.load_assignment: LOGICAL_DNS clusters take exactly one endpoint');
  });

  it('reports a failed resolution, then resolves again on schedule', async () => {
    let calls = 0;
    const flaky: Lookup = async (host, family) => {
      calls++;
      if (calls === 1) throw new Error('SERVFAIL');
      return lookup(host, family);
    };
    const results: (string[] | string)[] = [];
    await new Promise<void>((resolve) => {
      const refresher = new DnsRefresher({ ...dnsCluster('STRICT_DNS', { dns_refresh_rate: '0.001s', respect_dns_ttl: false }).dns! }, (endpoints, error) => {
        results.push(endpoints ? endpoints.map((e) => e.address) : String(error?.message));
        if (results.length === 2) {
          refresher.stop();
          resolve();
        }
      }, flaky);
    });
    expect(results).toEqual(['SERVFAIL', ['192.0.2.1', '192.0.2.2']]);
  });
});
