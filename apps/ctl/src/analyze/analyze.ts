import type { AnalysisMessage, Analyzer, LoadedObject } from './analysis-message.ts';
import { portNameConvention } from './analyzers/port-name-convention.ts';
import { referencedHostNotFound } from './analyzers/referenced-host-not-found.ts';
import { referencedSubsetNotFound } from './analyzers/referenced-subset-not-found.ts';
import { serverCertificateVerification } from './analyzers/server-certificate-verification.ts';
import { unboundGateway } from './analyzers/unbound-gateway.ts';
import { unusedSubset } from './analyzers/unused-subset.ts';
import { virtualServiceGateways } from './analyzers/virtual-service-gateways.ts';

export const analyzers: readonly Analyzer[] = [referencedHostNotFound, referencedSubsetNotFound, virtualServiceGateways, portNameConvention, serverCertificateVerification, unusedSubset, unboundGateway];

const levelOrder = { Error: 0, Warning: 1, Info: 2 };

/** Every analyzer's findings, with those of loading, kept to one namespace unless `namespace`
 *  is undefined; errors first, then by resource, as istioctl lists them. */
export function analyze(objects: readonly LoadedObject[], loadMessages: readonly AnalysisMessage[], namespace: string | undefined): AnalysisMessage[] {
  return [...loadMessages, ...analyzers.flatMap((analyzer) => analyzer(objects))]
    .filter((m) => namespace === undefined || m.namespace === namespace)
    .sort((a, b) => levelOrder[a.level] - levelOrder[b.level] || describe(a).localeCompare(describe(b)) || a.code.localeCompare(b.code));
}

function describe(m: AnalysisMessage): string {
  return `${m.kind} ${m.namespace}/${m.name}`;
}
