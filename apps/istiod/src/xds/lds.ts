import { TypeUrl } from '@mizzen/xds';
import { buildListeners } from '../networking/listener-builder.ts';
import type { Generator } from './generator.ts';

export const lds: Generator = {
  shortName: 'LDS',
  typeUrl: TypeUrl.Listener,
  generate: (push, proxy) => buildListeners(push, proxy),
};
