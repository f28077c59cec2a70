import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isNode, LineCounter, parseAllDocuments } from 'yaml';
import { loadDocuments } from '@mizzen/config';
import type { AnalysisMessage, FieldPath, LoadedObject } from './analysis-message.ts';

export interface LoadedFiles {
  objects: LoadedObject[];
  /** IST0106 for each document that fails validation. */
  messages: AnalysisMessage[];
}

/** The YAML and JSON files under each path, folders read recursively, in a stable order. */
export async function listFiles(path: string): Promise<string[]> {
  const info = await stat(path).catch((error: Error) => {
    throw new Error(`${path}: cannot read (${error.message})`);
  });
  if (!info.isDirectory()) return [path];
  const entries = (await readdir(path, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  const nested = await Promise.all(
    entries.filter((e) => e.isDirectory() || /\.(ya?ml|json)$/.test(e.name)).map((e) => listFiles(join(path, e.name))),
  );
  return nested.flat();
}

/** `spec.ports[0].port` as a path: ['spec', 'ports', 0, 'port']. */
export function fieldPath(field: string): FieldPath {
  return [...field.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : m[1]));
}

/** Loads each document of a file on its own, to know the line it starts on and where its
 *  fields are. */
export function loadText(text: string, file: string): LoadedFiles {
  const lineCounter = new LineCounter();
  const result: LoadedFiles = { objects: [], messages: [] };
  parseAllDocuments(text, { lineCounter }).forEach((document) => {
    const line = lineCounter.linePos(document.contents?.range[0] ?? document.range[0]).line;
    const raw: unknown = document.errors.length === 0 ? document.toJS() : undefined;
    const { kind, metadata } = (typeof raw === 'object' && raw !== null ? raw : {}) as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
    // The items of a List share its document; their fields are not looked up.
    const lineOf = (path: FieldPath): number | undefined => {
      if (kind === 'List') return undefined;
      const node: unknown = document.getIn(path, true);
      return isNode(node) && node.range ? lineCounter.linePos(node.range[0]).line : undefined;
    };
    const loaded = loadDocuments(text.slice(document.range[0], document.range[2]), file);
    for (const object of loaded.objects) result.objects.push({ object, file, line, lineOf });
    for (const error of loaded.errors) {
      result.messages.push({
        level: 'Error',
        code: 'IST0106',
        kind: typeof kind === 'string' ? kind : '',
        namespace: typeof metadata?.namespace === 'string' ? metadata.namespace : 'default',
        name: typeof metadata?.name === 'string' ? metadata.name : '',
        file,
        line: (error.field && lineOf(fieldPath(error.field))) || line,
        text: `Schema validation error: ${[error.field, error.reason].filter(Boolean).join(': ')}`,
      });
    }
  });
  return result;
}

export async function loadFiles(paths: readonly string[]): Promise<LoadedFiles> {
  const files = (await Promise.all(paths.map(listFiles))).flat();
  const loaded = await Promise.all(files.map(async (file) => loadText(await readFile(file, 'utf8'), file)));
  return { objects: loaded.flatMap((l) => l.objects), messages: loaded.flatMap((l) => l.messages) };
}
