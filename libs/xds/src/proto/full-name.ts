// protobufjs computes fullName by walking up the tree on every read; the codec asks often.
import type protobuf from 'protobufjs';

const names = new WeakMap<protobuf.ReflectionObject, string>();

/** "envoy.config.cluster.v3.Cluster", without protobufjs's leading dot. */
export function fullNameOf(reflection: protobuf.ReflectionObject): string {
  let name = names.get(reflection);
  if (name === undefined) {
    name = reflection.fullName.replace(/^\./, '');
    names.set(reflection, name);
  }
  return name;
}
