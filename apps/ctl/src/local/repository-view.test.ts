import { mkdtempSync, rmSync, writeFileSync, readFileSync, mkdirSync, chmodSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { mountRepositoryView, othersCanEnter, throughView, unmountRepositoryView } from './repository-view.ts';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mz-view-'));
  made.push(dir);
  return dir;
}

describe('the repository as the pods see it', () => {
  it('tells whether other users can walk down to a folder', () => {
    const root = tempDir(); // mkdtemp makes it 0700
    mkdirSync(join(root, 'repo'), { mode: 0o755 });
    expect(othersCanEnter(join(root, 'repo'))).toBe(false);
    chmodSync(root, 0o755);
    expect(othersCanEnter(join(root, 'repo'))).toBe(true);
  });

  it('rewrites paths inside the repository to the view, and leaves the others', () => {
    expect(throughView('/root/mizzen/node_modules/.bin/node', '/root/mizzen', '/tmp/state/repo-1')).toBe('/tmp/state/repo-1/node_modules/.bin/node');
    expect(throughView('/root/mizzen', '/root/mizzen', '/tmp/state/repo-1')).toBe('/tmp/state/repo-1');
    expect(throughView('/root/mizzen-other/x', '/root/mizzen', '/tmp/state/repo-1')).toBe('/root/mizzen-other/x');
    expect(throughView('/root/mizzen/x', '/root/mizzen', undefined)).toBe('/root/mizzen/x');
    // Commands found on PATH and relative paths are not paths of the repository's.
    for (const word of ['setpriv', 'samples/hello/src/backend.ts', '--port']) expect(throughView(word, process.cwd(), '/tmp/state/repo-1')).toBe(word);
  });

  it('mounts a read-only view and takes it away again, leaving the repository untouched', async () => {
    const repository = tempDir();
    writeFileSync(join(repository, 'file'), 'kept');
    const mountPoint = join(tempDir(), 'view');
    await mountRepositoryView(repository, mountPoint);
    expect(readFileSync(join(mountPoint, 'file'), 'utf8')).toBe('kept');
    expect(() => writeFileSync(join(mountPoint, 'file'), 'changed')).toThrow(/EROFS/);
    await unmountRepositoryView(mountPoint);
    expect(existsSync(mountPoint)).toBe(false);
    expect(readFileSync(join(repository, 'file'), 'utf8')).toBe('kept');
    await unmountRepositoryView(mountPoint); // twice is fine
  });
});
