import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadDocuments, type Deployment, type KubeObject, type Service } from '@mizzen/config';

export interface Manifests {
  deployments: Deployment[];
  services: Service[];
  objects: KubeObject[];
  /** The documents that could not be used, each naming its file, document, field and reason. */
  errors: string[];
}

const manifestFile = /\.ya?ml$/;

/** Reads every YAML manifest under a folder (recursively; hidden folders and node_modules are
 *  skipped). An invalid document is left out and reported in `errors`; the rest runs, as a
 *  cluster runs what `kubectl apply` accepted. */
export async function readManifests(dir: string): Promise<Manifests> {
  const files = await manifestFiles(dir);
  if (files.length === 0) throw new Error(`${dir}: no *.yaml or *.yml manifests found`);
  const objects: KubeObject[] = [];
  const errors: string[] = [];
  for (const file of files) {
    const result = loadDocuments(await readFile(file, 'utf8'), file);
    objects.push(...result.objects);
    errors.push(...result.errors.map((e) => e.message));
  }
  return {
    errors,
    objects,
    deployments: objects.filter((o): o is Deployment => o.kind === 'Deployment'),
    services: objects.filter((o): o is Service => o.kind === 'Service'),
  };
}

async function manifestFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await manifestFiles(path)));
    else if (entry.isFile() && manifestFile.test(entry.name)) files.push(path);
  }
  return files;
}
