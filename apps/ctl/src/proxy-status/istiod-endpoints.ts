import { fetchClusterIstiod, istiodPods } from '../cluster/cluster-mesh.ts';
import type { Cluster } from '../cluster/kube-connection.ts';
import { fetchIstiodJson } from './istiod-client.ts';

/** One istiod to ask: its name (the ISTIOD column: a pod in a cluster, an address otherwise)
 *  and how to GET one of its debug paths as JSON. */
export interface IstiodEndpoint {
  name: string;
  get: (path: string) => Promise<unknown>;
}

/** istiod at an address (a flag, or the local mesh's bridge). */
export function istiodAt(address: string): IstiodEndpoint[] {
  return [{ name: address, get: (path) => fetchIstiodJson(address, path) }];
}

/** Every running istiod pod of a cluster, each reached through the API server. */
export async function clusterIstiods(cluster: Cluster): Promise<IstiodEndpoint[]> {
  return (await istiodPods(cluster)).map((pod) => ({ name: `${pod.name}`, get: (path) => fetchClusterIstiod(cluster, pod, path) }));
}

/** Each istiod's /debug/syncz: every istiod knows the proxies connected to it alone. */
export async function collectSyncz(istiods: IstiodEndpoint[]): Promise<{ istiod: IstiodEndpoint; syncz: unknown[] }[]> {
  return Promise.all(
    istiods.map(async (istiod) => {
      const syncz = await istiod.get('/debug/syncz');
      if (!Array.isArray(syncz)) throw new Error(`istiod ${istiod.name} /debug/syncz: expected a list of proxies`);
      return { istiod, syncz };
    }),
  );
}
