import { describe, expect, it } from 'vitest';
import { buildLookupTable, lookupName } from './name-table.ts';
import { parseResolvConf } from './resolv-conf.ts';

const nameTable = {
  table: {
    'reviews.default.svc.cluster.local': { ips: ['10.96.0.12'], registry: 'Kubernetes', shortname: 'reviews', namespace: 'default' },
    'ratings.shop.svc.cluster.local': { ips: ['10.96.0.13', 'fd00::13'], registry: 'Kubernetes', shortname: 'ratings', namespace: 'shop' },
    'api.example.com': { ips: ['192.0.2.1'], registry: 'External' },
  },
};

describe('buildLookupTable', () => {
  it('adds Istio’s short names, the bare one only for the pod’s own namespace', () => {
    const table = buildLookupTable(nameTable, 'default');
    expect([...table.keys()].sort()).toEqual([
      'api.example.com',
      'ratings.shop', 'ratings.shop.svc', 'ratings.shop.svc.cluster.local',
      'reviews', 'reviews.default', 'reviews.default.svc', 'reviews.default.svc.cluster.local',
    ]);
    expect(table.get('ratings.shop')).toEqual({ ipv4: ['10.96.0.13'], ipv6: ['fd00::13'] });
  });

  it.each([
    [{ table: [] }, /NameTable.table must be a map/],
    [{ table: { 'a..b': { ips: ['10.0.0.1'] } } }, /NameTable.table\["a..b"\]: "a..b" is not a DNS name/],
    [{ table: { web: { ips: [] } } }, /NameTable.table\["web"\].ips: a host needs at least one address/],
    [{ table: { web: { ips: ['10.0.0.300'] } } }, /NameTable.table\["web"\].ips: "10.0.0.300" is not an IP address/],
  ])('names what is wrong in a bad table: %j', (bad, message) => {
    expect(() => buildLookupTable(bad, 'default')).toThrow(message);
  });
});

describe('lookupName', () => {
  const table = buildLookupTable(nameTable, 'default');
  it('ignores case and the trailing dot, and strips a search domain the resolver appended', () => {
    expect(lookupName(table, 'Reviews.Default.', [])?.ipv4).toEqual(['10.96.0.12']);
    expect(lookupName(table, 'ratings.shop.default.svc.cluster.local', ['default.svc.cluster.local', 'svc.cluster.local'])?.ipv4).toEqual(['10.96.0.13']);
    expect(lookupName(table, 'example.org', ['default.svc.cluster.local'])).toBeUndefined();
  });
});

describe('parseResolvConf', () => {
  it('reads nameservers and the search list, ignoring comments and the rest', () => {
    const text = '# generated\nnameserver 10.0.0.2\nnameserver fe80::1%eth0 ; scoped\nnameserver bogus\noptions ndots:5\nsearch default.svc.cluster.local svc.cluster.local\n';
    expect(parseResolvConf(text)).toEqual({ nameservers: ['10.0.0.2', 'fe80::1%eth0'], searchDomains: ['default.svc.cluster.local', 'svc.cluster.local'] });
  });
});
