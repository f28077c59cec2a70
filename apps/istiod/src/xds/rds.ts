import { TypeUrl } from '@mizzen/xds';
import { buildRoutes } from '../networking/http-route.ts';
import type { Generator } from './generator.ts';

export const rds: Generator = {
  shortName: 'RDS',
  typeUrl: TypeUrl.RouteConfiguration,
  generate: (push, proxy, names) => buildRoutes(push, proxy, names),
};
