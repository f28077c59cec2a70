import type { Destination, VirtualService } from '@mizzen/config';
import { namespaceOf, ofKind, type FieldPath, type LoadedObject } from './analysis-message.ts';

export interface PlacedDestination {
  destination: Destination;
  path: FieldPath;
}

/** Every destination a VirtualService sends to, with its path: its http, tcp and tls routes,
 *  and mirrors. */
export function virtualServiceDestinations(vs: VirtualService): PlacedDestination[] {
  const spec = vs.spec;
  const routed = (kind: 'http' | 'tcp' | 'tls', routes: { route?: { destination: Destination }[] }[] | undefined): PlacedDestination[] =>
    (routes ?? []).flatMap((route, i) => (route.route ?? []).map((r, j) => ({ destination: r.destination, path: ['spec', kind, i, 'route', j, 'destination'] })));
  const mirrored = (spec.http ?? []).flatMap((route, i) => [
    ...(route.mirror ? [{ destination: route.mirror, path: ['spec', 'http', i, 'mirror'] }] : []),
    ...(route.mirrors ?? []).map((m, j) => ({ destination: m.destination, path: ['spec', 'http', i, 'mirrors', j, 'destination'] })),
  ]);
  return [...routed('http', spec.http), ...mirrored, ...routed('tcp', spec.tcp), ...routed('tls', spec.tls)];
}

export function virtualServices(objects: readonly LoadedObject[]): { loaded: LoadedObject; object: VirtualService; namespace: string }[] {
  return ofKind<VirtualService>(objects, 'VirtualService').map((v) => ({ ...v, namespace: namespaceOf(v.object) }));
}
