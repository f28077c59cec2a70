import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingPrerequisite, requiredTools } from './prerequisites.ts';

describe('missingPrerequisite', () => {
  let bin: string;
  beforeAll(async () => {
    bin = await mkdtemp(join(tmpdir(), 'prereq-'));
    for (const tool of requiredTools.filter((t) => t !== 'setpriv')) await writeFile(join(bin, tool), '#!/bin/sh\n', { mode: 0o755 });
  });
  afterAll(() => rm(bin, { recursive: true, force: true }));

  it('asks for root first, in one line', () => {
    expect(missingPrerequisite(1000, bin)).toBe('a local mesh needs root (network namespaces, routes, iptables); this runs as uid 1000');
  });

  it('names each missing tool', () => {
    expect(missingPrerequisite(0, bin)).toBe('a local mesh needs setpriv on PATH (packages iproute2, iptables, util-linux)');
    expect(missingPrerequisite(0, '')).toMatch(/^a local mesh needs ip, iptables, iptables-save, iptables-restore, setpriv on PATH/);
  });

  it('is satisfied by root with every tool', async () => {
    await writeFile(join(bin, 'setpriv'), '#!/bin/sh\n', { mode: 0o755 });
    expect(missingPrerequisite(0, bin)).toBeUndefined();
  });
});
