import { collectionPath, watchedKinds, type KubeObject } from '@mizzen/config';
import { isObject } from '../proxy-config/json-reading.ts';
import type { Cluster } from './kube-connection.ts';
import { kubeGet, KubeStatusError } from './kube-get.ts';

/** The kinds `x describe` reads: what istiod reads, but Endpoints (it matches pods itself). */
const describedKinds = watchedKinds.filter((kind) => kind.kind !== 'Endpoints');

/** Every object of the kinds istiod reads, in all namespaces, as config files would give them.
 *  A list's items carry no kind: each gets its collection's. An Istio kind the cluster does not
 *  serve (404) has no objects. */
export async function clusterObjects(cluster: Cluster): Promise<KubeObject[]> {
  const lists = await Promise.all(
    describedKinds.map(async (kind) => {
      const path = collectionPath(kind);
      let list: unknown;
      try {
        list = await kubeGet(cluster, path);
      } catch (error) {
        if (kind.custom && error instanceof KubeStatusError && error.statusCode === 404) return [];
        throw error;
      }
      if (!isObject(list) || !Array.isArray(list.items)) throw new Error(`cluster ${cluster.context}: GET ${path}: the answer is not a list`);
      return list.items.filter(isObject).map((item) => ({ ...item, apiVersion: kind.apiVersion, kind: kind.kind }) as unknown as KubeObject);
    }),
  );
  return lists.flat();
}
