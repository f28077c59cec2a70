import { describe, expect, it } from 'vitest';
import type { ConfigEvent } from './config-store.ts';
import { MemoryConfigStore } from './config-store.ts';

const namespace = (name: string, labels: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
const account = (namespaceName: string, name: string) => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: namespaceName } });

describe('MemoryConfigStore, one change at a time', () => {
  it('emits add, update and delete only for real changes', () => {
    const store = new MemoryConfigStore();
    const events: ConfigEvent[] = [];
    store.subscribe((event) => events.push(event));
    store.set(namespace('a'));
    store.set(namespace('a'));
    store.set(namespace('a', { team: 'x' }));
    store.delete('Namespace//a');
    store.delete('Namespace//a');
    expect(events.map((e) => e.type)).toEqual(['add', 'update', 'delete']);
    expect(events[1]).toMatchObject({ previous: { metadata: { labels: {} } }, object: { metadata: { labels: { team: 'x' } } } });
  });

  it('lists, gets and keys objects as the memory store does', () => {
    const store = new MemoryConfigStore();
    store.set(account('b', 'y'));
    store.set(account('a', 'z'));
    store.set(namespace('a'));
    expect(store.list('ServiceAccount').map((o) => `${o.metadata.namespace}/${o.metadata.name}`)).toEqual(['a/z', 'b/y']);
    expect(store.list('ServiceAccount', 'b')).toHaveLength(1);
    expect(store.get('Namespace', 'anything', 'a')?.metadata.name).toBe('a');
    expect(store.get('ServiceAccount', 'a', 'z')?.metadata.name).toBe('z');
    expect(store.listAll().map((o) => o.kind)).toEqual(['Namespace', 'ServiceAccount', 'ServiceAccount']);
    expect(store.keysOf('ServiceAccount').sort()).toEqual(['ServiceAccount/a/z', 'ServiceAccount/b/y']);
  });
});
