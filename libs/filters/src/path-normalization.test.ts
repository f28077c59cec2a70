import { describe, expect, it } from 'vitest';
import { compilePathNormalization, normalizeRequestPath, type PathNormalization } from './path-normalization.ts';

const all: PathNormalization = { normalize: true, mergeSlashes: true, escapedSlashes: 'KEEP_UNCHANGED' };

describe('normalizeRequestPath', () => {
  it.each([
    ['/a/./b/../c', '/a/c'],
    ['/../../etc/passwd', '/etc/passwd'],
    ['/a/b/..', '/a/'],
    ['/a/.', '/a/'],
    ['/%7Euser/%41%2d%5f', '/~user/A-_'],
    ['/a%2fb%3c', '/a%2Fb%3C'],
    ['/%2e%2e/secret', '/secret'],
    ['/a\\..\\b', '/b'],
    ['//a///b/', '/a/b/'],
    ['/a/../b?x=/../y&z=%2e', '/b?x=/../y&z=%2e'],
    ['*', '*'],
  ])('%s becomes %s', (input, expected) => {
    expect(normalizeRequestPath(input, all)).toEqual({ kind: 'forward', path: expected });
  });

  it('rejects what cannot be normalized', () => {
    expect(normalizeRequestPath('/a%zz', all)).toEqual({ kind: 'reject' });
    expect(normalizeRequestPath('/a%2', all)).toEqual({ kind: 'reject' });
    expect(normalizeRequestPath('a/b', all)).toEqual({ kind: 'reject' });
  });

  it('acts on escaped slashes as configured', () => {
    const only = (escapedSlashes: PathNormalization['escapedSlashes']): PathNormalization => ({ normalize: false, mergeSlashes: false, escapedSlashes });
    expect(normalizeRequestPath('/a%2Fb%5cc', only('KEEP_UNCHANGED'))).toEqual({ kind: 'forward', path: '/a%2Fb%5cc' });
    expect(normalizeRequestPath('/a%2Fb', only('REJECT_REQUEST'))).toEqual({ kind: 'reject' });
    expect(normalizeRequestPath('/a%2fb?q=%2F', only('UNESCAPE_AND_REDIRECT'))).toEqual({ kind: 'redirect', path: '/a/b?q=%2F' });
    expect(normalizeRequestPath('/a/b', only('UNESCAPE_AND_REDIRECT'))).toEqual({ kind: 'forward', path: '/a/b' });
    expect(normalizeRequestPath('/a%2F..%2Fb', { ...only('UNESCAPE_AND_FORWARD'), normalize: true })).toEqual({ kind: 'forward', path: '/b' });
  });

  it('is off unless configured, and names a bad action', () => {
    expect(compilePathNormalization({ path_with_escaped_slashes_action: 'IMPLEMENTATION_SPECIFIC_DEFAULT' }, 'hcm')).toBeUndefined();
    expect(compilePathNormalization({ merge_slashes: true }, 'hcm')).toEqual({ normalize: false, mergeSlashes: true, escapedSlashes: 'KEEP_UNCHANGED' });
    expect(() => compilePathNormalization({ path_with_escaped_slashes_action: 'NOPE' }, 'hcm')).toThrow(/hcm.path_with_escaped_slashes_action: "NOPE" is not supported/);
  });
});
