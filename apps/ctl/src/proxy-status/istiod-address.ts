import type { MeshRecord } from '../local/mesh-state.ts';
import { istiodHttpPort } from '../local/mesh-runner.ts';

/** istiod's HTTP address in a local mesh: the mesh's bridge address, where the runner starts it.
 *  Several meshes need `--mesh ID`; none is an error saying how to start one. */
export function localIstiodAddress(meshes: MeshRecord[], meshId?: string): string {
  const running = meshes.filter((mesh) => mesh.gateway);
  if (meshId !== undefined) {
    const mesh = running.find((m) => m.id === meshId);
    if (!mesh) throw new Error(`mesh ${meshId}: not running (running: ${running.map((m) => m.id).join(', ') || 'none'})`);
    return `${mesh.gateway}:${istiodHttpPort}`;
  }
  if (running.length === 0) throw new Error('no local mesh is running: start one with mizzenctl local up, or give --istiod-address HOST:PORT');
  if (running.length > 1) throw new Error(`several local meshes are running (${running.map((m) => m.id).join(', ')}): choose one with --mesh ID`);
  return `${running[0].gateway}:${istiodHttpPort}`;
}
