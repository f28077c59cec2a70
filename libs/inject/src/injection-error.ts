/** A pod that cannot be injected as asked; the message names the pod, the field and why. */
export class InjectionError extends Error {
  override name = 'InjectionError';
}
