import { describe, expect, it } from 'vitest';
import { compileTypedSanMatcher, compileUntypedSanMatcher, parseSubjectAltNames, sanAccepted } from './san-matcher.ts';

describe('subject alt names', () => {
  it('reads the SANs Node reports, quoted ones included', () => {
    expect(parseSubjectAltNames('DNS:a.example, URI:spiffe://cluster.local/ns/a/sa/b, IP Address:10.0.0.1, email:x@y, URI:"spiffe://odd, name"')).toEqual([
      { type: 'DNS', value: 'a.example' },
      { type: 'URI', value: 'spiffe://cluster.local/ns/a/sa/b' },
      { type: 'IP_ADDRESS', value: '10.0.0.1' },
      { type: 'EMAIL', value: 'x@y' },
      { type: 'URI', value: 'spiffe://odd, name' },
    ]);
    expect(parseSubjectAltNames(undefined)).toEqual([]);
  });

  it('accepts a peer when any matcher matches a SAN of its type', () => {
    const uri = compileTypedSanMatcher({ san_type: 'URI', matcher: { prefix: 'spiffe://cluster.local/ns/default/' } }, 'm');
    expect(sanAccepted([uri], 'DNS:spiffe://cluster.local/ns/default/x')).toBe(false);
    expect(sanAccepted([uri], 'DNS:a, URI:spiffe://cluster.local/ns/default/sa/x')).toBe(true);
    expect(sanAccepted([compileUntypedSanMatcher({ exact: 'a' }, 'm')], 'DNS:a')).toBe(true);
    expect(sanAccepted([], undefined)).toBe(true);
    expect(sanAccepted([uri], undefined)).toBe(false);
  });

  it('names a matcher without a SAN type', () => {
    expect(() => compileTypedSanMatcher({ matcher: { exact: 'a' } }, 'v.match_typed_subject_alt_names[0]')).toThrow('v.match_typed_subject_alt_names[0].san_type: required');
  });
});
