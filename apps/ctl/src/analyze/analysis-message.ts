import type { KubeObject } from '@mizzen/config';

export type Level = 'Error' | 'Warning' | 'Info';

/** An object as loaded, with the file and line its document starts on. */
export interface LoadedObject {
  object: KubeObject;
  file: string;
  line: number;
  /** The line of a field, by its path in the object, when the file has it. */
  lineOf?: (path: FieldPath) => number | undefined;
}

export type FieldPath = readonly (string | number)[];

/** One finding, in istioctl's terms: a level, a code such as IST0101, the resource it is about. */
export interface AnalysisMessage {
  level: Level;
  code: string;
  kind: string;
  namespace: string;
  name: string;
  file?: string;
  line?: number;
  text: string;
}

/** A check over every loaded object; pure, so that each is tested on its own. */
export type Analyzer = (objects: readonly LoadedObject[]) => AnalysisMessage[];

export function namespaceOf(object: KubeObject): string {
  return object.metadata.namespace ?? 'default';
}

/** A message about one loaded object, placed at its file and line. */
export function messageAbout(loaded: LoadedObject, level: Level, code: string, text: string, path?: FieldPath): AnalysisMessage {
  const { object } = loaded;
  const line = (path && loaded.lineOf?.(path)) ?? loaded.line;
  return { level, code, kind: object.kind, namespace: namespaceOf(object), name: object.metadata.name, file: loaded.file, line, text };
}

export function ofKind<T extends KubeObject>(objects: readonly LoadedObject[], kind: string): { loaded: LoadedObject; object: T }[] {
  return objects.filter((l) => l.object.kind === kind).map((l) => ({ loaded: l, object: l.object as T }));
}
