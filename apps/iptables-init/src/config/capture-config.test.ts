import { describe, expect, it } from 'vitest';
import { parseCidr, parseCidrSelection, parseIdList, parseInterfaceList, parseMark, parsePortSelection, parseRouteTable } from './capture-config.ts';
import { parseResolvConf } from './resolv-conf.ts';

describe('flag values', () => {
  it('reads CIDRs of both families, a bare address as a host route', () => {
    expect(parseCidr('10.96.0.0/12')).toEqual({ text: '10.96.0.0/12', family: 4 });
    expect(parseCidr('fd00::/8')).toEqual({ text: 'fd00::/8', family: 6 });
    expect(parseCidr('169.254.169.254')).toEqual({ text: '169.254.169.254/32', family: 4 });
    expect(parseCidrSelection('*')).toBe('*');
    expect(parseCidrSelection('')).toEqual([]);
  });

  it.each(['10.0.0.0/33', 'fd00::/129', '10.0.0/8', 'cluster', '10.0.0.0/8/1', '10.0.0.0/x'])('rejects the CIDR %s', (text) => {
    expect(() => parseCidr(text)).toThrow(text);
  });

  it('reads port selections', () => {
    expect(parsePortSelection('*')).toBe('*');
    expect(parsePortSelection('')).toEqual([]);
    expect(parsePortSelection('9080, 8080,')).toEqual([9080, 8080]);
    expect(() => parsePortSelection('80,0')).toThrow('"0" is not a port');
    expect(() => parsePortSelection('80-90')).toThrow('"80-90" is not a port');
  });

  it('reads ids, marks, tables and interface names', () => {
    expect(parseIdList('1337')).toEqual(['1337']);
    expect(parseIdList('3,4')).toEqual(['3', '4']);
    expect(() => parseIdList('')).toThrow('no id given');
    expect(() => parseIdList('-1')).toThrow('"-1" is not a numeric id');
    expect(parseMark('1337')).toBe(1337);
    expect(() => parseMark('0')).toThrow('not a mark');
    expect(parseRouteTable('133')).toBe(133);
    expect(() => parseRouteTable('254')).toThrow('not a free routing table');
    expect(parseInterfaceList('eth0,net1')).toEqual(['eth0', 'net1']);
    expect(() => parseInterfaceList('eth0;rm')).toThrow('"eth0;rm" is not an interface name');
  });
});

describe('parseResolvConf', () => {
  it('lists the nameservers', () => {
    const text = '# generated\nsearch default.svc.cluster.local\nnameserver 10.96.0.10\nnameserver fe80::1%eth0\nnameserver bogus\noptions ndots:5\n';
    expect(parseResolvConf(text)).toEqual(['10.96.0.10', 'fe80::1']);
  });
});
