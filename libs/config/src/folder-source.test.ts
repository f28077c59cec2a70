import { mkdir, mkdtemp, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConfigError } from './config-error.ts';
import type { ConfigEvent } from './config-store.ts';
import { FolderSource } from './folder-source.ts';

const service = (name: string, port: number) => `apiVersion: v1
kind: Service
metadata: { name: ${name} }
spec:
  selector: { app: ${name} }
  ports: [{ name: http, port: ${port} }]
`;

let dir: string;
let source: FolderSource | undefined;
let errors: ConfigError[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mizzen-config-'));
  errors = [];
});

afterEach(async () => {
  source?.close();
  source = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** Replaces a watched file in one step, as editors and kubectl-like tools do, so that no scan
 *  sees it half written. */
async function replaceFile(path: string, text: string): Promise<void> {
  await writeFile(`${path}.partial`, text);
  await rename(`${path}.partial`, path);
}

/** Resolves with the next store event that passes the filter. */
function nextEvent(s: FolderSource, accept: (e: ConfigEvent) => boolean): Promise<ConfigEvent> {
  return new Promise((resolve) => {
    const stop = s.store.subscribe((event) => {
      if (!accept(event)) return;
      stop();
      resolve(event);
    });
  });
}

describe('FolderSource', () => {
  it('loads yaml, yml and json files recursively, skipping hidden ones and other extensions', async () => {
    await mkdir(join(dir, 'nested', 'deeper'), { recursive: true });
    await mkdir(join(dir, '.hidden'));
    await writeFile(join(dir, 'a.yaml'), service('productpage', 9080));
    await writeFile(join(dir, 'nested', 'b.yml'), service('reviews', 9080));
    await writeFile(join(dir, 'nested', 'deeper', 'c.json'), JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bookinfo' } }));
    await writeFile(join(dir, '.hidden', 'd.yaml'), service('hidden', 1));
    await writeFile(join(dir, 'notes.txt'), service('text', 1));
    source = await FolderSource.open([dir], { onError: (e) => errors.push(e) });
    expect(source.store.list('Service').map((s) => s.metadata.name)).toEqual(['productpage', 'reviews']);
    expect(source.store.get('Namespace', '', 'bookinfo')?.metadata.name).toBe('bookinfo');
    expect(source.store.get('Service', 'default', 'reviews')?.spec.ports?.[0].port).toBe(9080);
    expect(errors).toEqual([]);
  });

  it('reads several folders', async () => {
    const other = await mkdtemp(join(tmpdir(), 'mizzen-config-'));
    try {
      await writeFile(join(dir, 'a.yaml'), service('ratings', 9080));
      await writeFile(join(other, 'b.yaml'), service('details', 9080));
      source = await FolderSource.open([dir, other]);
      expect(source.store.list('Service').map((s) => s.metadata.name)).toEqual(['details', 'ratings']);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('fails clearly on a missing folder', async () => {
    await expect(FolderSource.open([join(dir, 'missing')])).rejects.toThrow(/config folder .*missing: does not exist/);
  });

  it('follows added, changed and removed files', async () => {
    await writeFile(join(dir, 'a.yaml'), service('productpage', 9080));
    source = await FolderSource.open([dir], { debounceMs: 10 });

    const added = nextEvent(source, (e) => e.type === 'add');
    await replaceFile(join(dir, 'b.yaml'), service('reviews', 9080));
    expect(await added).toMatchObject({ type: 'add', object: { kind: 'Service', metadata: { name: 'reviews' } } });

    const updated = nextEvent(source, (e) => e.type === 'update');
    await replaceFile(join(dir, 'b.yaml'), service('reviews', 9081));
    const update = await updated;
    expect(update).toMatchObject({ object: { spec: { ports: [{ port: 9081 }] } }, previous: { spec: { ports: [{ port: 9080 }] } } });

    const deleted = nextEvent(source, (e) => e.type === 'delete');
    await unlink(join(dir, 'b.yaml'));
    expect(await deleted).toMatchObject({ type: 'delete', object: { metadata: { name: 'reviews' } } });
    expect(source.store.list('Service').map((s) => s.metadata.name)).toEqual(['productpage']);
  });

  it('follows folders created after it started', async () => {
    source = await FolderSource.open([dir], { debounceMs: 10 });
    const added = nextEvent(source, (e) => e.type === 'add');
    await mkdir(join(dir, 'later', 'deeper'), { recursive: true });
    await replaceFile(join(dir, 'later', 'deeper', 'ratings.yaml'), service('ratings', 9080));
    expect(await added).toMatchObject({ object: { metadata: { name: 'ratings' } } });
  });

  it('reports an invalid document, skips it and keeps serving the others', async () => {
    await writeFile(join(dir, 'a.yaml'), `${service('productpage', 9080)}---\n${service('reviews', 9080)}`);
    source = await FolderSource.open([dir], { debounceMs: 10, onError: (e) => errors.push(e) });

    const deleted = nextEvent(source, (e) => e.type === 'delete');
    await replaceFile(join(dir, 'a.yaml'), `${service('productpage', 9080)}---\n${service('reviews', 99999)}`);
    expect(await deleted).toMatchObject({ object: { metadata: { name: 'reviews' } } });
    expect(source.store.list('Service').map((s) => s.metadata.name)).toEqual(['productpage']);
    expect(errors.map((e) => e.message)).toEqual([`${join(dir, 'a.yaml')} (document 2): Service default/reviews: spec.ports[0].port: must be an integer between 1 and 65535, got 99999`]);
    expect(source.errors()).toHaveLength(1);
  });

  it('uses the later file when two define the same object, and says so', async () => {
    await writeFile(join(dir, 'a.yaml'), service('reviews', 1000));
    await writeFile(join(dir, 'b.yaml'), service('reviews', 2000));
    source = await FolderSource.open([dir], { onError: (e) => errors.push(e) });
    expect(source.store.get('Service', 'default', 'reviews')?.spec.ports?.[0].port).toBe(2000);
    expect(errors[0].message).toContain('Service default/reviews: also defined in');
  });
});

describe('MemoryConfigStore.listAll', () => {
  it('lists every kind sorted by kind, namespace and name', async () => {
    await writeFile(join(dir, 'a.yaml'), `${service('b', 1)}---\n${service('a', 1)}---\napiVersion: v1\nkind: Namespace\nmetadata: { name: z }\n`);
    source = await FolderSource.open([dir]);
    expect(source.store.listAll().map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Namespace/z', 'Service/a', 'Service/b']);
  });
});
