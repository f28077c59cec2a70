import { MemoryConfigStore } from '@mizzen/config';
import { describe, expect, it } from 'vitest';
import { configz } from './configz.ts';

describe('configz', () => {
  it('lists Secrets without their data', () => {
    const store = new MemoryConfigStore();
    store.replaceAll([{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'cert', namespace: 'istio-system' }, data: { 'tls.key': 'S0VZ' } } as never]);
    const { resources } = configz(store, () => []) as { resources: Record<string, unknown>[] };
    expect(resources).toHaveLength(1);
    expect(resources[0]).toMatchObject({ kind: 'Secret', metadata: { name: 'cert' } });
    expect(JSON.stringify(resources)).not.toContain('S0VZ');
  });
});
