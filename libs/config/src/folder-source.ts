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
  #watchers: FSWatcher[] = [];
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
    source.#watch();
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
    for (const watcher of this.#watchers) watcher.close();
    this.#watchers = [];
  }

  #watch(): void {
    for (const directory of this.directories) {
      const watcher = watch(directory, { recursive: true }, () => this.#schedule());
      watcher.on('error', (error) => this.#onError(new ConfigError({ file: directory, reason: `watching stopped: ${error.message}` })));
      this.#watchers.push(watcher);
    }
  }

  #schedule(): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#rescanReporting(), this.#debounceMs);
  }

  async #scan(): Promise<void> {
    const paths = (await Promise.all(this.directories.map(listConfigFiles))).flat();
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

async function listConfigFiles(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile() && configFile.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((path) => !relative(directory, path).split(/[\\/]/).some((part) => part.startsWith('.')))
    .sort();
}
