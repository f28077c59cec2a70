import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { ConfigError } from './config-error.ts';
import { MemoryConfigStore } from './config-store.ts';
import { describeObject, objectKey, type KubeObject } from './kubernetes-types.ts';
import { loadDocuments } from './yaml-loader.ts';

const configFile = /\.(ya?ml|json)$/;

export interface FolderSourceOptions {
  /** Called with the errors of each file as it is (re)loaded; defaults to printing them. */
  onError?: (error: ConfigError) => void;
  /** How long to wait for a burst of file events to settle before rescanning. */
  debounceMs?: number;
}

interface LoadedFile {
  text: string;
  objects: KubeObject[];
  errors: ConfigError[];
}

/** Serves the Kubernetes objects found in one or more folders (recursively: *.yaml, *.yml,
 *  *.json; hidden files and folders are skipped) and follows their changes on disk. An invalid
 *  document is reported and left out while the rest keep serving; a removed file removes its
 *  objects. When two files define the same object, the later path wins. */
export class FolderSource {
  readonly store = new MemoryConfigStore();
  readonly directories: readonly string[];
  #files = new Map<string, LoadedFile>();
  /** One watcher per directory of the tree: Node's recursive watch on Linux loses files that
   *  are replaced by rename and then removed, so each directory is watched on its own. */
  #watchers = new Map<string, FSWatcher>();
  #timer: NodeJS.Timeout | undefined;
  #scanning: Promise<void> | undefined;
  #rescanAgain = false;
  #closed = false;
  #onError: (error: ConfigError) => void;
  #debounceMs: number;

  private constructor(directories: string[], options: FolderSourceOptions) {
    this.directories = directories;
    this.#onError = options.onError ?? ((error) => console.error(`config: ${error.message}`));
    this.#debounceMs = options.debounceMs ?? 50;
  }

  /** Loads the folders once, then watches them. Fails if a folder cannot be read. */
  static async open(directories: string[], options: FolderSourceOptions = {}): Promise<FolderSource> {
    if (directories.length === 0) throw new Error('at least one config folder is needed');
    for (const directory of directories) {
      const info = await stat(directory).catch((error: NodeJS.ErrnoException) => {
        throw new Error(`config folder ${directory}: ${error.code === 'ENOENT' ? 'does not exist' : error.message}`);
      });
      if (!info.isDirectory()) throw new Error(`config folder ${directory}: is not a directory`);
    }
    const source = new FolderSource(directories, options);
    await source.rescan();
    return source;
  }

  /** Every error of the files as they are now. */
  errors(): ConfigError[] {
    return [...this.#files.values()].flatMap((f) => f.errors);
  }

  /** Reads the folders again and updates the store; concurrent calls share one scan. */
  rescan(): Promise<void> {
    if (this.#scanning) {
      this.#rescanAgain = true;
      return this.#scanning;
    }
    this.#scanning = this.#scan().finally(() => {
      this.#scanning = undefined;
      if (this.#rescanAgain && !this.#closed) {
        this.#rescanAgain = false;
        this.#rescanReporting();
      }
    });
    return this.#scanning;
  }

  /** A rescan started by a file event: a failure is reported, never thrown at the process. */
  #rescanReporting(): void {
    this.rescan().catch((error: Error) => this.#onError(new ConfigError({ file: this.directories.join(', '), reason: `rescan failed: ${error.message}` })));
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const watcher of this.#watchers.values()) watcher.close();
    this.#watchers.clear();
  }

  /** Watches exactly the directories of the tree as last scanned. */
  #watch(directories: string[]): void {
    const wanted = new Set(directories);
    for (const [directory, watcher] of this.#watchers) {
      if (wanted.has(directory)) continue;
      watcher.close();
      this.#watchers.delete(directory);
    }
    let added = false;
    for (const directory of wanted) {
      if (this.#watchers.has(directory)) continue;
      added = true;
      try {
        const watcher = watch(directory, () => this.#schedule());
        // A watched directory that goes away ends its watcher; the rescan notices the rest.
        watcher.on('error', () => {
          watcher.close();
          this.#watchers.delete(directory);
          this.#schedule();
        });
        this.#watchers.set(directory, watcher);
      } catch (error) {
        this.#onError(new ConfigError({ file: directory, reason: `cannot watch: ${(error as Error).message}` }));
      }
    }
    // A file written into a new directory before its watcher existed is found by one more scan.
    if (added) this.#schedule();
  }

  #schedule(): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#rescanReporting(), this.#debounceMs);
  }

  async #scan(): Promise<void> {
    const trees = await Promise.all(this.directories.map(listTree));
    const paths = trees.flatMap((tree) => tree.files);
    const next = new Map<string, LoadedFile>();
    const newErrors: ConfigError[] = [];
    for (const path of paths) {
      const text = await readFile(path, 'utf8').catch(() => undefined);
      if (text === undefined) continue; // removed while scanning; the next event rescans
      const previous = this.#files.get(path);
      if (previous?.text === text) {
        next.set(path, previous);
        continue;
      }
      const { objects, errors } = loadDocuments(text, path);
      next.set(path, { text, objects, errors });
      newErrors.push(...errors);
    }
    if (this.#closed) return;
    this.#watch(trees.flatMap((tree) => tree.directories));
    this.#files = next;
    // Reported once the folder state is current, so that errors() already includes them.
    newErrors.forEach(this.#onError);
    this.store.replaceAll(this.#merge());
  }

  #merge(): KubeObject[] {
    const byKey = new Map<string, { object: KubeObject; file: string }>();
    for (const [file, loaded] of [...this.#files].sort(([a], [b]) => (a < b ? -1 : 1))) {
      for (const object of loaded.objects) {
        const key = objectKey(object);
        const earlier = byKey.get(key);
        if (earlier && earlier.file !== file) {
          this.#onError(new ConfigError({ file: earlier.file, resource: describeObject(object), reason: `also defined in ${file}, which is used instead` }));
        }
        byKey.set(key, { object, file });
      }
    }
    return [...byKey.values()].map((entry) => entry.object);
  }
}

/** The config files and the directories under a folder (itself included), hidden ones left out. */
async function listTree(directory: string): Promise<{ files: string[]; directories: string[] }> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true }).catch(() => undefined);
  if (!entries) return { files: [], directories: [] };
  const visible = entries.filter((entry) => !relative(directory, join(entry.parentPath, entry.name)).split(/[\\/]/).some((part) => part.startsWith('.')));
  return {
    files: visible.filter((entry) => entry.isFile() && configFile.test(entry.name)).map((entry) => join(entry.parentPath, entry.name)).sort(),
    directories: [directory, ...visible.filter((entry) => entry.isDirectory()).map((entry) => join(entry.parentPath, entry.name))],
  };
}
