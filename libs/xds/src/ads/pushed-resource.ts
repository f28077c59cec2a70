// Checks both ADS servers make on a resource their caller pushes: it is of the pushed type, and
// it packs; errors name the type and the resource.
import { packAny, type JsonObject, type PackedAny } from '../json/codec.ts';
import { XdsError } from '../xds-error.ts';

/** The resource with its "@type" (the pushed type when it has none); throws if it is another. */
export function taggedAs(typeUrl: string, resource: JsonObject, index: number): JsonObject {
  const tagged = resource['@type'] === undefined ? { '@type': typeUrl, ...resource } : resource;
  if (tagged['@type'] !== typeUrl) throw new XdsError(`push ${typeUrl}: resources[${index}] has @type ${String(tagged['@type'])}`);
  return tagged;
}

/** Packs a tagged resource into an Any; throws naming the resource (by `name`) and the field at fault. */
export function packPushed(typeUrl: string, tagged: JsonObject, name: string): PackedAny {
  try {
    return packAny(tagged);
  } catch (error) {
    throw new XdsError(`push ${typeUrl}: resource ${JSON.stringify(name)}: ${(error as Error).message}`);
  }
}
