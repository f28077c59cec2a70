import { spawn } from 'node:child_process';

/** A failure of a network operation, with the command and what the kernel said. */
export class NetError extends Error {
  override name = 'NetError';
}

export interface CommandOutput {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Everything here changes the host's network: refuse early and clearly when not root. */
export function assertRoot(): void {
  const uid = process.getuid?.();
  if (uid !== undefined && uid !== 0) {
    throw new NetError(`network namespaces need root (uid 0); this process runs as uid ${uid}`);
  }
}

/** Runs a command and collects its output; a missing binary becomes a NetError naming it. */
export function run(command: string, args: string[]): Promise<CommandOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'ENOENT' ? new NetError(`${missingBinary(command)}: not found on PATH`) : error);
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function missingBinary(command: string): string {
  return command === 'ip' ? "iproute2's `ip` command" : `\`${command}\``;
}

/** Runs `ip ARGS` as root; a non-zero exit becomes a NetError with the command and its stderr. */
export async function ip(args: string[]): Promise<string> {
  assertRoot();
  const result = await run('ip', args);
  if (result.code !== 0) {
    throw new NetError(`ip ${args.join(' ')}: ${result.stderr.trim() || `exit code ${result.code}`}`);
  }
  return result.stdout;
}
