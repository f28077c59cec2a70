import type { Destination, VirtualService } from '@mizzen/config';
import { namespaceOf, ofKind, type LoadedObject } from './analysis-message.ts';

/** Every destination a VirtualService sends to: its http, tcp and tls routes, and mirrors. */
export function virtualServiceDestinations(vs: VirtualService): Destination[] {
  const spec = vs.spec;
  return [
    ...(spec.http ?? []).flatMap((route) => [...(route.route ?? []).map((r) => r.destination), ...(route.mirror ? [route.mirror] : []), ...(route.mirrors ?? []).map((m) => m.destination)]),
    ...(spec.tcp ?? []).flatMap((route) => (route.route ?? []).map((r) => r.destination)),
    ...(spec.tls ?? []).flatMap((route) => (route.route ?? []).map((r) => r.destination)),
  ];
}

export function virtualServices(objects: readonly LoadedObject[]): { loaded: LoadedObject; object: VirtualService; namespace: string }[] {
  return ofKind<VirtualService>(objects, 'VirtualService').map((v) => ({ ...v, namespace: namespaceOf(v.object) }));
}
