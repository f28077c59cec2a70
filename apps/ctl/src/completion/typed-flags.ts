/** The flags of a command line being typed that say where pods are: the namespace, and which
 *  mesh (a kubeconfig, a context, the local mesh's state folder). */
export interface TypedFlags {
  namespace?: string;
  kubeconfig?: string;
  context?: string;
  stateDir?: string;
  istioNamespace?: string;
  local: boolean;
}

const valueFlags: Record<string, keyof Omit<TypedFlags, 'local'>> = {
  '-n': 'namespace',
  '--namespace': 'namespace',
  '-c': 'kubeconfig',
  '--kubeconfig': 'kubeconfig',
  '--context': 'context',
  '--state-dir': 'stateDir',
  '-i': 'istioNamespace',
  '--istio-namespace': 'istioNamespace',
};

/** Reads those flags from the words typed so far (`-n ns`, `--namespace=ns`, `--local`); every
 *  other word is left alone, as the line is not finished and need not parse. */
export function typedFlags(words: string[]): TypedFlags {
  const flags: TypedFlags = { local: false };
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    if (word === '--local') flags.local = true;
    const equals = word.indexOf('=');
    const name = word.startsWith('--') && equals > 0 ? word.slice(0, equals) : word;
    const field = valueFlags[name];
    if (field === undefined) continue;
    if (name !== word) flags[field] = word.slice(equals + 1);
    else if (i + 1 < words.length) flags[field] = words[++i];
  }
  return flags;
}
