import { checkAuthorizationPolicy } from './authorization-policy.ts';
import { checkDestinationRule } from './destination-rule.ts';
import { checkGateway } from './gateway.ts';
import type { Fail } from './istio-schema.ts';
import type { KubeObject } from './kubernetes-types.ts';
import { checkPeerAuthentication } from './peer-authentication.ts';
import { checkRequestAuthentication } from './request-authentication.ts';
import { checkServiceEntry } from './service-entry.ts';
import { checkSidecar } from './sidecar.ts';
import { checkVirtualService } from './virtual-service.ts';
import { checkWorkloadEntry } from './workload-entry.ts';

// Istio's kinds that Mizzen checks field by field, with the API versions each is served
// under. The versions share one schema, so manifests written for any of them load unchanged.

const networkingVersions = ['networking.istio.io/v1', 'networking.istio.io/v1beta1', 'networking.istio.io/v1alpha3'];
const securityVersions = ['security.istio.io/v1', 'security.istio.io/v1beta1'];

export const istioKindChecks: Record<string, { apiVersions: string[]; check: (object: KubeObject, fail: Fail) => void }> = {
  VirtualService: { apiVersions: networkingVersions, check: checkVirtualService },
  PeerAuthentication: { apiVersions: securityVersions, check: checkPeerAuthentication },
  AuthorizationPolicy: { apiVersions: securityVersions, check: checkAuthorizationPolicy },
  RequestAuthentication: { apiVersions: securityVersions, check: checkRequestAuthentication },
  DestinationRule: { apiVersions: networkingVersions, check: checkDestinationRule },
  ServiceEntry: { apiVersions: networkingVersions, check: checkServiceEntry },
  WorkloadEntry: { apiVersions: networkingVersions, check: checkWorkloadEntry },
  Gateway: { apiVersions: networkingVersions, check: checkGateway },
  Sidecar: { apiVersions: networkingVersions, check: checkSidecar },
};
