import { TypeUrl } from '@mizzen/xds';
import { buildListeners } from '../networking/listener-builder.ts';
import { isRouter } from '../model/gateways.ts';
import { buildGatewayListeners } from '../networking/gateway-builder.ts';
import { withAccessLogs } from '../networking/access-log.ts';
import type { Generator } from './generator.ts';

export const lds: Generator = {
  shortName: 'LDS',
  typeUrl: TypeUrl.Listener,
  generate: (push, proxy) => withAccessLogs(isRouter(proxy) ? buildGatewayListeners(push, proxy) : buildListeners(push, proxy), push.accessLog),
};
