import { describe, expect, it } from 'vitest';
import { fieldPath, loadText } from './load-files.ts';

describe('loadText', () => {
  it('reads a field path as the validator writes it', () => {
    expect(fieldPath('spec.http[0].route[12].destination')).toEqual(['spec', 'http', 0, 'route', 12, 'destination']);
  });

  it('keeps loading after a document that is not YAML, and reports it at its line', () => {
    const text = 'apiVersion: v1\nkind: Namespace\nmetadata: { name: a }\n---\nkind: [\n';
    const { objects, messages } = loadText(text, 'mixed.yaml');
    expect(objects.map((o) => ({ kind: o.object.kind, line: o.line }))).toEqual([{ kind: 'Namespace', line: 1 }]);
    expect(messages).toMatchObject([{ level: 'Error', code: 'IST0106', kind: '', file: 'mixed.yaml', line: 5, text: expect.stringContaining('invalid YAML') }]);
  });

  it('finds the line of a field, and of a bad field', () => {
    const text = 'apiVersion: v1\nkind: Service\nmetadata: { name: s }\nspec:\n  ports:\n    - name: http\n      port: 99999\n';
    expect(loadText(text, 's.yaml').messages).toMatchObject([{ kind: 'Service', name: 's', line: 7, text: expect.stringContaining('spec.ports[0].port') }]);
    const good = loadText(text.replace('99999', '80'), 's.yaml').objects[0];
    expect(good.lineOf?.(['spec', 'ports', 0, 'name'])).toBe(6);
  });
});
