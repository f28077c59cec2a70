import { spawn } from 'node:child_process';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { NetError } from './ip-command.ts';
import { loadNativeAddon, nativeAddon } from './native-addon.ts';

const buildScript = fileURLToPath(new URL('../scripts/build-addon.sh', import.meta.url));

describe('the native addon', () => {
  it('is built by the install script and offers its functions', () => {
    const addon = nativeAddon();
    expect(Object.keys(addon).sort()).toEqual(['listenTransparent', 'originalDestination', 'setTransparent', 'socketMark']);
  });

  it('says clearly when it was not built', () => {
    expect(() => loadNativeAddon('/nonexistent/mizzen_net.node')).toThrow(NetError);
    expect(() => loadNativeAddon('/nonexistent/mizzen_net.node')).toThrow(
      'the native addon of @mizzen/net is not built (/nonexistent/mizzen_net.node is missing): install a C tool chain and Python 3, then run `npm rebuild -w @mizzen/net`',
    );
  });

  it('names the missing tools when the tool chain is absent', async () => {
    // A PATH with a shell and nothing to build with.
    const bin = await mkdtemp(join(tmpdir(), 'mizzen-net-path-'));
    try {
      for (const tool of ['sh', 'dirname']) await symlink(`/usr/bin/${tool}`, join(bin, tool));
      const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(join(bin, 'sh'), [buildScript], { env: { PATH: bin } });
        let stderr = '';
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        child.on('close', (code) => resolve({ code, stderr }));
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('@mizzen/net: cannot build its native addon: missing make cc g++ python3 node-gyp.\n');
    } finally {
      await rm(bin, { recursive: true, force: true });
    }
  });

  it('rejects a bad argument with a TypeError rather than crashing', () => {
    expect(() => nativeAddon().originalDestination(-1)).toThrow('fd must be a non-negative integer');
    expect(() => nativeAddon().setTransparent(0, 5 as 4)).toThrow('family must be 4 or 6');
  });

  it('reports the errno of a failed call', () => {
    // fd 1000000 is not open.
    expect(() => nativeAddon().socketMark(1_000_000)).toThrow(expect.objectContaining({ code: 'EBADF', errno: 9, syscall: 'getsockopt(SO_MARK)' }));
  });
});
