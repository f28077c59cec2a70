import type { JsonObject } from '@mizzen/xds';
import type { Proxy } from '../model/proxy.ts';
import type { PushContext } from '../model/push-context.ts';

/** Builds one resource type for one proxy. `names` are the subscribed resource names; types
 *  that are always fetched whole (CDS, LDS) ignore them. */
export interface Generator {
  /** "CDS", "EDS", ... as proxy-status shows it. */
  shortName: string;
  typeUrl: string;
  generate(push: PushContext, proxy: Proxy, names: string[]): JsonObject[];
}
