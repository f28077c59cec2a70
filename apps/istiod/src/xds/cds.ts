import { TypeUrl } from '@mizzen/xds';
import { buildClusters } from '../networking/cluster-builder.ts';
import type { Generator } from './generator.ts';

export const cds: Generator = {
  shortName: 'CDS',
  typeUrl: TypeUrl.Cluster,
  generate: (push, proxy) => buildClusters(push, proxy),
};
