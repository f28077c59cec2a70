import type { Service } from '@mizzen/config';
import { messageAbout, ofKind, type AnalysisMessage, type LoadedObject } from '../analysis-message.ts';

// The protocols Istio infers from a port name's `PROTOCOL` or `PROTOCOL-suffix` form.
const protocols = ['http', 'http2', 'https', 'grpc', 'grpc-web', 'tcp', 'tls', 'udp', 'mongo', 'mysql', 'redis'];

function followsConvention(name: string): boolean {
  const lower = name.toLowerCase();
  return protocols.some((p) => lower === p || lower.startsWith(`${p}-`));
}

/** IST0118: a named Service port whose protocol can be read neither from its name nor from
 *  appProtocol, so the mesh treats its traffic as opaque TCP. */
export function portNameConvention(objects: readonly LoadedObject[]): AnalysisMessage[] {
  return ofKind<Service>(objects, 'Service').flatMap(({ loaded, object }) =>
    (object.spec.ports ?? []).flatMap((port, i) =>
      port.name !== undefined && port.name !== '' && port.appProtocol === undefined && !followsConvention(port.name)
        ? [messageAbout(loaded, 'Info', 'IST0118', `Port name ${port.name} (port: ${port.port}, targetPort: ${port.targetPort ?? port.port}) doesn't follow the naming convention of Istio port.`, ['spec', 'ports', i, 'name'])]
        : [],
    ),
  );
}
