import { execFile } from 'node:child_process';
import { mkdirSync, rmdirSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { promisify } from 'node:util';

// A pod's containers run as their own users (the sidecar as 1337, an app as its runAsUser), and
// they run the repository's code. A clone in a folder only root may enter (/root, a mktemp
// folder) is out of their reach, so the runner shows them the repository through a read-only
// bind mount at a path they can reach, and rewrites the paths it hands them to that view.

const exec = promisify(execFile);

/** Whether a user who is neither owner nor in the group can walk down to `dir`. */
export function othersCanEnter(dir: string): boolean {
  for (let current = dir; ; current = dirname(current)) {
    if ((statSync(current).mode & 0o001) === 0) return false;
    if (dirname(current) === current) return true;
  }
}

/** Mounts `repository` read-only at `mountPoint` (made here). Read-only, so that nothing done
 *  through the view, a clean-up included, can change the repository. */
export async function mountRepositoryView(repository: string, mountPoint: string): Promise<void> {
  mkdirSync(mountPoint, { mode: 0o755 });
  await exec('mount', ['--bind', repository, mountPoint]);
  await exec('mount', ['-o', 'remount,bind,ro', mountPoint]).catch(async (error: Error) => {
    await unmountRepositoryView(mountPoint);
    throw error;
  });
}

/** Unmounts the view and removes its (then empty) mount point; tolerates what is already gone.
 *  Never removes anything recursively: a mount point that is still mounted stays as it is. */
export async function unmountRepositoryView(mountPoint: string): Promise<void> {
  const mounted = await exec('mountpoint', ['-q', mountPoint]).then(() => true, () => false);
  if (mounted) await exec('umount', [mountPoint]).catch(() => exec('umount', ['--lazy', mountPoint]));
  try {
    rmdirSync(mountPoint);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** An absolute path under `repository` as the pods see it through the view; anything else
 *  (other paths, a command looked up on PATH, a relative path the working folder resolves) as
 *  it is. */
export function throughView(path: string, repository: string, view: string | undefined): string {
  if (view === undefined || !isAbsolute(path)) return path;
  const inside = relative(repository, path);
  return inside === '' ? view : inside.startsWith('..') || inside.startsWith(sep) ? path : join(view, inside);
}
