import { TypeUrl } from '@mizzen/xds';
import { buildListeners } from '../networking/listener-builder.ts';
import { isRouter } from '../model/gateways.ts';
import { buildGatewayListeners } from '../networking/gateway-builder.ts';
import type { Generator } from './generator.ts';

export const lds: Generator = {
  shortName: 'LDS',
  typeUrl: TypeUrl.Listener,
  generate: (push, proxy) => (isRouter(proxy) ? buildGatewayListeners(push, proxy) : buildListeners(push, proxy)),
};
