import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { NetError } from './ip-command.ts';

/** The functions of the native addon (native/*.c), on raw file descriptors. */
export interface NativeAddon {
  originalDestination(fd: number): { address: string; port: number; family: 4 | 6 };
  socketMark(fd: number): number;
  setTransparent(fd: number, family: 4 | 6): void;
  listenTransparent(family: 4 | 6, host: string, port: number, backlog: number): number;
}

/** An error a failed system call in the addon throws. */
export interface SystemCallError extends Error {
  code: string;
  errno: number;
  syscall: string;
}

export function isSystemCallError(error: unknown): error is SystemCallError {
  return error instanceof Error && typeof (error as Partial<SystemCallError>).errno === 'number';
}

const addonPath = fileURLToPath(new URL('../build/Release/mizzen_net.node', import.meta.url));
let addon: NativeAddon | undefined;

/** Loads the addon on first use, so that the namespace helpers work without it. */
export function nativeAddon(): NativeAddon {
  addon ??= loadNativeAddon(addonPath);
  return addon;
}

/** Loads the addon now rather than on first use: for a process about to take on an
 *  unprivileged user, which may not be able to read the addon's file. */
export function preloadNativeAddon(): void {
  nativeAddon();
}

/** Loads the built addon from `path`, or says clearly that it was not built. */
export function loadNativeAddon(path: string): NativeAddon {
  if (!existsSync(path)) {
    throw new NetError(
      `the native addon of @mizzen/net is not built (${path} is missing): ` +
        'install a C tool chain and Python 3, then run `npm rebuild -w @mizzen/net`',
    );
  }
  return createRequire(import.meta.url)(path) as NativeAddon;
}
