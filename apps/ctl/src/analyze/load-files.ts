import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import { loadDocuments } from '@mizzen/config';
import type { AnalysisMessage, LoadedObject } from './analysis-message.ts';

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

/** Loads each document of a file on its own, to know the line it starts on. */
export function loadText(text: string, file: string): LoadedFiles {
  const lineCounter = new LineCounter();
  const result: LoadedFiles = { objects: [], messages: [] };
  parseAllDocuments(text, { lineCounter }).forEach((document) => {
    const start = document.contents?.range[0] ?? document.range[0];
    const line = lineCounter.linePos(start).line;
    const loaded = loadDocuments(text.slice(document.range[0], document.range[2]), file);
    for (const object of loaded.objects) result.objects.push({ object, file, line });
    for (const error of loaded.errors) {
      const raw: unknown = document.errors.length === 0 ? document.toJS() : undefined;
      const { kind, metadata } = (typeof raw === 'object' && raw !== null ? raw : {}) as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
      result.messages.push({
        level: 'Error',
        code: 'IST0106',
        kind: typeof kind === 'string' ? kind : '',
        namespace: typeof metadata?.namespace === 'string' ? metadata.namespace : 'default',
        name: typeof metadata?.name === 'string' ? metadata.name : '',
        file,
        line,
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
