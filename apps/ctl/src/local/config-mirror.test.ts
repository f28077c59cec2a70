import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigMirror, parseSourceFile, withClusterIps, type ServiceAddress } from './config-mirror.ts';
import { serviceRange } from './service-range.ts';

const range = serviceRange(9);

const service = (name: string, extra = ''): string => `# the ${name} service\napiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\nspec:\n  ports:\n    - port: 9080${extra}\n`;

describe('withClusterIps', () => {
  it('sets spec.clusterIP on each Service, in plain documents and Lists, keeping comments', () => {
    const text = `${service('a')}---\napiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Service\n    metadata: { name: b, namespace: shop }\n---\napiVersion: v1\nkind: Service\nmetadata: { name: headless }\nspec: { clusterIP: None }\n`;
    const file = parseSourceFile('x.yaml', text);
    const out = withClusterIps(file, new Map([['default/a', '10.245.9.5'], ['shop/b', '10.245.9.6']]), range);
    expect(out).toContain('# the a service');
    const docs = parseAllDocuments(out).map((d) => d.toJS() as { spec?: { clusterIP?: string }; items?: { spec: { clusterIP: string } }[] });
    expect(docs[0].spec?.clusterIP).toBe('10.245.9.5');
    expect(docs[1].items?.[0].spec.clusterIP).toBe('10.245.9.6');
    expect(docs[2].spec?.clusterIP).toBe('None');
  });

  it('leaves a file it cannot parse as it is, for istiod to report', () => {
    const text = 'kind: Service\nmetadata: [unclosed\n';
    expect(withClusterIps(parseSourceFile('bad.yaml', text), new Map(), range)).toBe(text);
  });
});

describe('ConfigMirror', () => {
  let source: string;
  let target: string;
  let mirror: ConfigMirror | undefined;

  beforeEach(async () => {
    source = await mkdtemp(join(tmpdir(), 'mirror-src-'));
    target = await mkdtemp(join(tmpdir(), 'mirror-dst-'));
  });
  afterEach(async () => {
    mirror?.close();
    await rm(source, { recursive: true, force: true });
    await rm(target, { recursive: true, force: true });
  });

  it('mirrors the folder with addresses, then follows files added, changed and removed', async () => {
    await mkdir(join(source, 'nested'));
    await writeFile(join(source, 'nested', 'a.yaml'), service('a'));
    await writeFile(join(source, 'notes.txt'), 'not config');
    const seen: ServiceAddress[][] = [];
    mirror = await ConfigMirror.open({ source, target, range, onServices: (s) => seen.push(s), onWarning: () => undefined });
    expect(seen).toHaveLength(1);
    const a = seen[0][0];
    expect(a).toMatchObject({ namespace: 'default', name: 'a' });
    expect(await readFile(join(target, 'nested', 'a.yaml'), 'utf8')).toContain(`clusterIP: ${a.ip}`);
    await expect(readFile(join(target, 'notes.txt'))).rejects.toThrow();

    await writeFile(join(source, 'b.yaml'), service('b'));
    await once(mirror, 'synced');
    expect(seen.at(-1)?.map((s) => s.name).sort()).toEqual(['a', 'b']);
    expect(seen.at(-1)?.find((s) => s.name === 'a')?.ip).toBe(a.ip);

    await writeFile(join(source, 'vs.yaml'), 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: { name: r }\nspec: { hosts: [a] }\n');
    await once(mirror, 'synced');
    expect(await readFile(join(target, 'vs.yaml'), 'utf8')).toContain('kind: VirtualService');

    await unlink(join(source, 'nested', 'a.yaml'));
    await once(mirror, 'synced');
    await expect(readFile(join(target, 'nested', 'a.yaml'))).rejects.toThrow();
    expect(seen.at(-1)?.map((s) => s.name)).toEqual(['b']);
  });
});
