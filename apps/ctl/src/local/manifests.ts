import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadDocuments, type Deployment, type KubeObject, type Service } from '@mizzen/config';

export interface Manifests {
  deployments: Deployment[];
  services: Service[];
  objects: KubeObject[];
}

const manifestFile = /\.ya?ml$/;

/** Reads every YAML manifest under a folder (recursively; hidden folders and node_modules are
 *  skipped). Any invalid document fails the whole read: a runner should not start half a mesh. */
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
  if (errors.length > 0) throw new Error(`invalid manifests:\n  ${errors.join('\n  ')}`);
  return {
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
