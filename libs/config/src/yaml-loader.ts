import { parseAllDocuments } from 'yaml';
import { ConfigError } from './config-error.ts';
import type { KubeObject } from './kubernetes-types.ts';
import { validateObject } from './validate.ts';

export interface LoadResult {
  objects: KubeObject[];
  /** One per document that could not be used; the other documents still load. */
  errors: ConfigError[];
}

/** Parses a file of one or more YAML (or JSON) documents and validates each. Documents are
 *  numbered from 1 in errors, as a reader counts them. A `kind: List` document contributes
 *  its items. Empty documents are skipped. */
export function loadDocuments(text: string, file: string): LoadResult {
  const result: LoadResult = { objects: [], errors: [] };
  parseAllDocuments(text).forEach((document, i) => {
    const index = i + 1;
    if (document.errors.length > 0) {
      result.errors.push(new ConfigError({ file, documentIndex: index, reason: `invalid YAML: ${document.errors[0].message.split(/:?\n/)[0]}` }));
      return;
    }
    const value: unknown = document.toJS();
    if (value === null || value === undefined) return;
    for (const candidate of listItems(value)) {
      try {
        result.objects.push(validateObject(candidate));
      } catch (error) {
        result.errors.push(error instanceof ConfigError ? error.at(file, index) : new ConfigError({ file, documentIndex: index, reason: String(error) }));
      }
    }
  });
  return result;
}

function listItems(value: unknown): unknown[] {
  if (typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'List') {
    const items = (value as { items?: unknown }).items;
    return Array.isArray(items) ? items : [];
  }
  return [value];
}
