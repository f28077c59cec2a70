import { spawn } from 'node:child_process';
import { chownSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

// Every process of a local mesh is Node running TypeScript sources: without help, each start
// strips the types of, and compiles, the same few hundred modules again, and a sidecar is two
// such starts. Node's compile cache (NODE_COMPILE_CACHE) keeps the result on disk, keyed by
// each file's content, so a start that finds it skips that work. The cache lives beside the
// meshes in the state folder and outlives them, as a node's image cache outlives its pods.
// Node writes its cache files readable by their owner only, so each user gets its own folder.

/** The folder of the compile cache that processes running as `uid` read and write. */
export function compileCacheDir(stateRoot: string, uid: number): string {
  return join(stateRoot, '.compile-cache', String(uid));
}

/** Makes the user's cache folder (owned by that user) and returns the environment that
 *  points Node at it. */
export function compileCacheEnv(stateRoot: string, uid: number): { NODE_COMPILE_CACHE: string } {
  const dir = compileCacheDir(stateRoot, uid);
  // Every user enters the common folder; only its owner enters a user's own.
  mkdirSync(dirname(dir), { recursive: true, mode: 0o755 });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chownSync(dir, uid, uid);
  return { NODE_COMPILE_CACHE: dir };
}

/** The Node program that loads the given modules and exits: run once as a user, it fills
 *  that user's cache before many processes start at the same moment and would each compile
 *  everything themselves. */
export function warmUpArgv(node: string, modules: string[]): string[] {
  const imports = modules.map((path) => `import(${JSON.stringify(path)})`).join(', ');
  return [node, '--input-type=module', '--eval', `await Promise.all([${imports}]);`];
}

/** Runs the warm-up; resolves either way (a cold cache is slower, never wrong), with why it
 *  failed when it did. */
export function warmUp(argv: string[], env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const [command, ...args] = argv;
  return new Promise((resolve) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (error) => resolve(error.message));
    child.on('close', (code, signal) => resolve(code === 0 ? undefined : `${signal ?? `exit code ${code}`}: ${errorLine(stderr)}`));
  });
}

/** The line of Node's report that names the error, else its last line. */
function errorLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  return lines.find((line) => /^\w*Error\b/.test(line)) ?? lines.at(-1) ?? '';
}
