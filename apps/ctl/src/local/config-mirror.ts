import { EventEmitter } from 'node:events';
import { watch, type FSWatcher } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { isMap, parseAllDocuments, type Document } from 'yaml';
import { allocateServiceIps, inRange, serviceKey, type ServiceKey, type ServiceRange } from './service-range.ts';

// istiod reads the user's folder through a mirror in the mesh's state folder, where the runner
// does what Kubernetes' API server does on create: it gives each Service a clusterIP. The
// mirror follows the folder: a file added, changed or removed there is, a moment later, added,
// changed or removed in the mirror, and istiod (which watches the mirror) reconfigures the mesh.

const configFile = /\.(ya?ml|json)$/;

/** A Service's virtual IP, as the mesh's names resolve to it. */
export interface ServiceAddress {
  namespace: string;
  name: string;
  ip: string;
}

export interface MirrorOptions {
  source: string;
  target: string;
  range: ServiceRange;
  /** Called after each pass that changed the services' addresses (and after the first). */
  onServices: (services: ServiceAddress[]) => void;
  /** Allocation warnings and files that cannot be read. */
  onWarning: (message: string) => void;
}

/** One file of the folder, with where each Service sits in it (document, then the path to it
 *  inside the document: [] or ['items', i] for a List). */
interface SourceFile {
  relativePath: string;
  text: string;
  documents: Document[] | undefined;
  services: { document: number; path: (string | number)[]; key: ServiceKey }[];
}

/** Emits 'synced' after each pass, once the mirror matches what the pass read. */
export class ConfigMirror extends EventEmitter<{ synced: [] }> {
  readonly #options: MirrorOptions;
  #addresses = new Map<string, string>();
  #written = new Map<string, string>();
  #watchers = new Map<string, FSWatcher>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #closed = false;

  private constructor(options: MirrorOptions) {
    super();
    this.#options = options;
  }

  /** Mirrors the folder once, then follows it. */
  static async open(options: MirrorOptions): Promise<ConfigMirror> {
    const mirror = new ConfigMirror(options);
    await mkdir(options.target, { recursive: true });
    await mirror.#sync(true);
    return mirror;
  }

  get services(): ServiceAddress[] {
    return [...this.#addresses].map(([key, ip]) => {
      const [namespace, name] = key.split('/');
      return { namespace, name, ip };
    });
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const watcher of this.#watchers.values()) watcher.close();
    this.#watchers.clear();
  }

  #schedule(): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    // A burst of events (an editor's save, a copied folder) becomes one pass.
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#running) {
        this.#again = true;
        return;
      }
      this.#running = this.#sync(false)
        .catch((error: Error) => this.#options.onWarning(`config mirror: ${error.message}`))
        .finally(() => {
          this.#running = undefined;
          if (this.#again) {
            this.#again = false;
            this.#schedule();
          }
        });
    }, 30);
  }

  async #sync(first: boolean): Promise<void> {
    const { source, target, range } = this.#options;
    const directories: string[] = [];
    const files = await this.#readTree(source, directories);
    this.#watch(directories);

    const allocation = allocateServiceIps(
      files.flatMap((f) => f.services.map((s) => s.key)),
      range,
      this.#addresses,
    );
    allocation.warnings.forEach((warning) => this.#options.onWarning(warning));
    const changed = first || !sameMap(allocation.addresses, this.#addresses);
    this.#addresses = allocation.addresses;

    const wanted = new Set<string>();
    for (const file of files) {
      wanted.add(file.relativePath);
      const text = withClusterIps(file, allocation.addresses, range);
      if (this.#written.get(file.relativePath) === text) continue;
      const path = join(target, file.relativePath);
      await mkdir(dirname(path), { recursive: true });
      // Written beside and renamed over, so that istiod never reads half a file; a dot file,
      // so that istiod's folder reader skips it meanwhile.
      const temporary = join(dirname(path), `.${Date.now()}.mirror`);
      await writeFile(temporary, text);
      await rename(temporary, path);
      this.#written.set(file.relativePath, text);
    }
    for (const relativePath of [...this.#written.keys()]) {
      if (wanted.has(relativePath)) continue;
      await rm(join(target, relativePath), { force: true });
      this.#written.delete(relativePath);
    }
    if (changed) this.#options.onServices(this.services);
    this.emit('synced');
  }

  async #readTree(dir: string, directories: string[]): Promise<SourceFile[]> {
    directories.push(dir);
    const entries = await readdir(dir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
      if (dir === this.#options.source) throw new Error(`config folder ${dir}: ${error.message}`);
      return [];
    });
    const files: SourceFile[] = [];
    for (const entry of entries) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) files.push(...(await this.#readTree(path, directories)));
      else if (entry.isFile() && configFile.test(entry.name)) {
        const text = await readFile(path, 'utf8').catch((error: Error) => {
          this.#options.onWarning(`${path}: ${error.message}`);
          return undefined;
        });
        if (text !== undefined) files.push(parseSourceFile(relative(this.#options.source, path), text));
      }
    }
    return files;
  }

  /** One watcher per directory (Node's recursive watch misses some renames on Linux). */
  #watch(directories: string[]): void {
    if (this.#closed) return;
    const wanted = new Set(directories);
    for (const [dir, watcher] of this.#watchers) {
      if (wanted.has(dir)) continue;
      watcher.close();
      this.#watchers.delete(dir);
    }
    for (const dir of directories) {
      if (this.#watchers.has(dir)) continue;
      try {
        const watcher = watch(dir, () => this.#schedule());
        watcher.on('error', () => this.#schedule());
        this.#watchers.set(dir, watcher);
      } catch {
        // Gone between the listing and now: the next pass sees it.
      }
    }
  }
}

/** Parses a file and finds the Services in it. A file that is not valid YAML is mirrored as it
 *  is, so that istiod reports it with the file's own name and line. */
export function parseSourceFile(relativePath: string, text: string): SourceFile {
  const documents = parseAllDocuments(text);
  if (!Array.isArray(documents) || documents.some((d) => d.errors.length > 0)) return { relativePath, text, documents: undefined, services: [] };
  const services: SourceFile['services'] = [];
  documents.forEach((document, index) => {
    const value: unknown = document.toJS();
    if (!isObject(value)) return;
    const candidates: { path: (string | number)[]; object: unknown }[] = value.kind === 'List' && Array.isArray(value.items) ? value.items.map((object, i) => ({ path: ['items', i], object })) : [{ path: [], object: value }];
    for (const { path, object } of candidates) {
      if (!isObject(object) || object.kind !== 'Service' || !isObject(object.metadata) || typeof object.metadata.name !== 'string') continue;
      const spec = isObject(object.spec) ? object.spec : {};
      // Headless and ExternalName services have no virtual IP.
      if (spec.clusterIP === 'None' || spec.type === 'ExternalName') continue;
      const namespace = typeof object.metadata.namespace === 'string' ? object.metadata.namespace : 'default';
      const requested = typeof spec.clusterIP === 'string' && spec.clusterIP !== '' ? spec.clusterIP : undefined;
      services.push({ document: index, path, key: { namespace, name: object.metadata.name, requested } });
    }
  });
  return { relativePath, text, documents, services };
}

/** The file's text with each Service's `spec.clusterIP` (and `clusterIPs`) set to its address. */
export function withClusterIps(file: SourceFile, addresses: ReadonlyMap<string, string>, range: ServiceRange): string {
  if (!file.documents || file.services.length === 0) return file.text;
  let changed = false;
  for (const service of file.services) {
    const address = addresses.get(serviceKey(service.key));
    if (address === undefined || (service.key.requested === address && inRange(range, address))) continue;
    const document = file.documents[service.document];
    const specPath = [...service.path, 'spec'];
    if (!isMap(document.getIn(specPath))) document.setIn(specPath, document.createNode({}));
    document.setIn([...specPath, 'clusterIP'], address);
    if (document.getIn([...specPath, 'clusterIPs']) !== undefined) document.setIn([...specPath, 'clusterIPs'], document.createNode([address]));
    changed = true;
  }
  return changed ? file.documents.map((d) => d.toString()).join('') : file.text;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sameMap(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  return a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
}
