import { describe, expect, it } from 'vitest';
import { jsonPatch } from './json-patch.ts';

describe('jsonPatch', () => {
  it('adds, replaces and removes members, replacing lists whole', () => {
    const from = { metadata: { name: 'a', labels: { app: 'x' }, gone: 1 }, spec: { containers: [{ name: 'app' }] } };
    const to = { metadata: { name: 'a', labels: { app: 'x', 'security.istio.io/tlsMode': 'istio' } }, spec: { containers: [{ name: 'app' }, { name: 'istio-proxy' }], volumes: [] } };
    expect(jsonPatch(from, to)).toEqual([
      { op: 'remove', path: '/metadata/gone' },
      { op: 'add', path: '/metadata/labels/security.istio.io~1tlsMode', value: 'istio' },
      { op: 'replace', path: '/spec/containers', value: [{ name: 'app' }, { name: 'istio-proxy' }] },
      { op: 'add', path: '/spec/volumes', value: [] },
    ]);
  });

  it('is empty for equal documents, and escapes "~" in names', () => {
    expect(jsonPatch({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toEqual([]);
    expect(jsonPatch({}, { 'a~b': 1 })).toEqual([{ op: 'add', path: '/a~0b', value: 1 }]);
  });
});
