import { TypeUrl } from '@mizzen/xds';
import { buildEndpoints } from '../networking/endpoint-builder.ts';
import type { Generator } from './generator.ts';

export const eds: Generator = {
  shortName: 'EDS',
  typeUrl: TypeUrl.ClusterLoadAssignment,
  generate: (push, proxy, names) => buildEndpoints(push, names, proxy),
};
