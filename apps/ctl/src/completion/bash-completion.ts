import type { CompletionNode } from './command-tree.ts';
import { completionTables, functionName, scriptHeader } from './completion-tables.ts';
import { caseArms, dynamicArms, shellQuote, takesValueFunction, walkWord } from './posix-shell.ts';

/** A bash completion script for the program: it walks the words typed so far through the
 *  command tree (skipping option values), then offers the subcommands, the options (after a
 *  `-`), an option's allowed values, or the pods and namespaces the program lists; where the
 *  tree knows nothing (a file), bash's default completion takes over. */
export function bashCompletion(program: string, root: CompletionNode): string {
  const fn = functionName(program, '_');
  const tables = completionTables(root);
  const words = (entries: { path: string; list: string[] }[]) => entries.map(({ path, list }) => ({ key: path, body: `words=${shellQuote(list.join(' '))}` }));
  return `${scriptHeader(program, 'bash', 'source it, or save it in the bash-completion folder')}
${takesValueFunction(fn, tables)}

# Lists pods or namespaces through the program, given the words typed before the current one
# (so that -n, --kubeconfig, --context and --local count); silent when it cannot.
${fn}_dynamic() {
  "\${COMP_WORDS[0]}" __complete "$1" -- "\${COMP_WORDS[@]:1:COMP_CWORD-1}" 2>/dev/null
}

${fn}() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]}
  local cmdpath= word words= i skip= npos=0 kind=
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=\${COMP_WORDS[i]}
${walkWord(fn, tables, '    ')}
  done
  COMPREPLY=()
  if [[ -n $skip ]]; then
    case "$cmdpath|$prev" in
${caseArms(
  tables.choices.map(({ key, values }) => ({ key, body: `words=${shellQuote(values.join(' '))}` })),
  '      ',
)}
${dynamicArms(tables.dynamicOptions, '      ')}
    esac
  elif [[ $cur == -* ]]; then
    case "$cmdpath" in
${caseArms(words(tables.commands.map((c) => ({ path: c.path, list: c.options.map((o) => o.name) }))), '      ')}
    esac
  else
    case "$cmdpath" in
${caseArms(words(tables.commands.map((c) => ({ path: c.path, list: c.children.map((o) => o.name) }))), '      ')}
    esac
    case "$cmdpath|$npos" in
${dynamicArms(tables.dynamicArguments, '      ')}
    esac
  fi
  [[ -n $kind ]] && words+=" $(${fn}_dynamic "$kind")"
  [[ -n \${words// /} ]] && COMPREPLY=($(compgen -W "$words" -- "$cur"))
  return 0
}

complete -o default -F ${fn} ${program}
`;
}
