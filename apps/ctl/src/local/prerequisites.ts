import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The system tools a local mesh needs: iproute2 for namespaces and routes, iptables for the
 *  pods' capture rules (iptables-init runs them), setpriv to start a container as its user. */
export const requiredTools = ['ip', 'iptables', 'iptables-save', 'iptables-restore', 'setpriv'];

/** Why this machine cannot run a local mesh, in one line, or undefined when it can. Checked
 *  before anything is created, so that a missing piece leaves nothing behind. */
export function missingPrerequisite(uid: number | undefined, path: string | undefined): string | undefined {
  if (uid !== undefined && uid !== 0) return `a local mesh needs root (network namespaces, routes, iptables); this runs as uid ${uid}`;
  const missing = requiredTools.filter((tool) => !onPath(tool, path ?? ''));
  if (missing.length > 0) return `a local mesh needs ${missing.join(', ')} on PATH (packages iproute2, iptables, util-linux)`;
  return undefined;
}

function onPath(tool: string, path: string): boolean {
  return path.split(delimiter).some((dir) => {
    if (dir === '') return false;
    try {
      accessSync(join(dir, tool), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
