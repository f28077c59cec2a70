import { TypeUrl } from '@mizzen/xds';
import { buildGatewaySecrets } from '../networking/gateway-secrets.ts';
import type { Generator } from './generator.ts';

/** SDS over ADS: the Kubernetes credentials of a gateway's TLS servers. */
export const sds: Generator = {
  shortName: 'SDS',
  typeUrl: TypeUrl.Secret,
  generate: (push, proxy, names) => buildGatewaySecrets(push, proxy, names),
};
