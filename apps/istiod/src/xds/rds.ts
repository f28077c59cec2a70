import { TypeUrl } from '@mizzen/xds';
import { buildRoutes } from '../networking/http-route.ts';
import { isRouter } from '../model/gateways.ts';
import { buildGatewayRoutes } from '../networking/gateway-builder.ts';
import type { Generator } from './generator.ts';

export const rds: Generator = {
  shortName: 'RDS',
  typeUrl: TypeUrl.RouteConfiguration,
  generate: (push, proxy, names) => (isRouter(proxy) ? buildGatewayRoutes(push, proxy, names) : buildRoutes(push, proxy, names)),
};
