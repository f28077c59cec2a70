import { checkDestinationRule } from './destination-rule.ts';
import { checkGateway } from './gateway.ts';
import type { Fail } from './istio-schema.ts';
import type { KubeObject } from './kubernetes-types.ts';
import { checkServiceEntry } from './service-entry.ts';
import { checkVirtualService } from './virtual-service.ts';

// Istio's kinds that Mizzen checks field by field, with the API versions each is served
// under. The versions share one schema, so manifests written for any of them load unchanged.

const networkingVersions = ['networking.istio.io/v1', 'networking.istio.io/v1beta1', 'networking.istio.io/v1alpha3'];

export const istioKindChecks: Record<string, { apiVersions: string[]; check: (object: KubeObject, fail: Fail) => void }> = {
  VirtualService: { apiVersions: networkingVersions, check: checkVirtualService },
  DestinationRule: { apiVersions: networkingVersions, check: checkDestinationRule },
  ServiceEntry: { apiVersions: networkingVersions, check: checkServiceEntry },
  Gateway: { apiVersions: networkingVersions, check: checkGateway },
};
