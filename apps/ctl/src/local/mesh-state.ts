import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A process the runner started, enough to find it again (the start time guards against a
 *  recycled pid). Each runs as the leader of its own process group. */
export interface ProcessRecord {
  role: 'istiod' | 'agent' | 'app';
  pod?: string;
  container?: string;
  pid: number;
  startTime: string | null;
  log: string;
  /** 'running', 'waiting' (to restart), 'exited', or why it cannot start. */
  state?: string;
  restarts?: number;
  /** False while the container's readiness (or startup) probe does not pass; absent for a
   *  container without probes, which is ready while it runs. */
  ready?: boolean;
  /** The last probe result that changed its readiness, or why a probe cannot run. */
  probe?: string;
  lastExit?: { code: number | null; signal: string | null; at: string };
}

export interface PodRecord {
  name: string;
  namespace: string;
  netns: string;
  ip: string;
  /** The Deployment it belongs to, and its pod-template-hash: what following the folder's
   *  Deployments compares. */
  deployment?: string;
  templateHash?: string;
}

/** What `local up` made, written as it goes so that `local down` can undo a killed run. */
export interface MeshRecord {
  id: string;
  configDir: string;
  runner: { pid: number; startTime: string | null };
  subnet?: string;
  gateway?: string;
  bridge?: string;
  /** The services' /24, black-holed on the host while the mesh runs. */
  serviceRange?: string;
  /** Where the pods see the repository when its own folder is out of their users' reach (a
   *  read-only bind mount in the mesh's folder, unmounted before that folder is removed; see
   *  repository-view.ts). */
  repositoryView?: string;
  pods: PodRecord[];
  processes: ProcessRecord[];
}

export interface MeshPaths {
  dir: string;
  record: string;
  /** The mirror of the user's folder, Services given their clusterIP: istiod's first folder. */
  config: string;
  /** Pod objects, istiod's second config folder. */
  pods: string;
  logs: string;
  /** Per-pod folders for the agents' bootstraps. */
  agents: string;
}

export function defaultStateRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.MIZZEN_LOCAL_STATE || join(tmpdir(), 'mizzen-local');
}

export function meshPaths(root: string, id: string): MeshPaths {
  const dir = join(root, id);
  return { dir, record: join(dir, 'mesh.json'), config: join(dir, 'config'), pods: join(dir, 'pods'), logs: join(dir, 'logs'), agents: join(dir, 'agents') };
}

export function createMeshDirs(paths: MeshPaths): void {
  // Readable by the sidecars' user, which writes its bootstrap under agents/.
  for (const dir of [paths.dir, paths.config, paths.pods, paths.logs, paths.agents]) mkdirSync(dir, { recursive: true, mode: 0o755 });
}

/** Writes the record atomically: a reader never sees half a file. */
export function saveRecord(paths: MeshPaths, record: MeshRecord): void {
  const temporary = `${paths.record}.tmp`;
  writeFileSync(temporary, JSON.stringify(record, null, 2) + '\n');
  renameSync(temporary, paths.record);
}

export function loadRecord(paths: MeshPaths): MeshRecord {
  try {
    return JSON.parse(readFileSync(paths.record, 'utf8')) as MeshRecord;
  } catch (error) {
    throw new Error(`${paths.record}: cannot read the mesh record (${(error as Error).message})`);
  }
}

/** The ids of the meshes recorded under a state root (hidden folders, such as the compile
 *  cache, are not meshes). */
export function listMeshIds(root: string): string[] {
  try {
    return readdirSync(root, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
      .map((entry) => entry.name)
      .sort();
  } catch {
    return [];
  }
}

export function removeMeshDir(paths: MeshPaths): void {
  rmSync(paths.dir, { recursive: true, force: true });
}
