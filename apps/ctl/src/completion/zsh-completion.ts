import type { CompletionNode } from './command-tree.ts';
import { completionTables, functionName, scriptHeader, type Described } from './completion-tables.ts';
import { caseArms, dynamicArms, shellQuote, takesValueFunction, walkWord } from './posix-shell.ts';

/** `name:description` for zsh's _describe, whose separator is the colon. */
function described(entries: Described[]): string {
  return entries.map(({ name, description }) => shellQuote(`${name.replaceAll(':', '\\:')}:${description}`)).join(' ');
}

/** A zsh completion script for the program, walking the command tree as the bash one does,
 *  with each subcommand and option described. (`cmdpath`, since zsh ties `path` to PATH.) */
export function zshCompletion(program: string, root: CompletionNode): string {
  const fn = functionName(program, '_');
  const tables = completionTables(root);
  return `#compdef ${program}
${scriptHeader(program, 'zsh', `save it as ${fn} in a folder of $fpath, or source it`)}
${takesValueFunction(fn, tables)}

# Lists pods or namespaces through the program, given the words typed before the current one
# (so that -n, --kubeconfig, --context and --local count); silent when it cannot.
${fn}_dynamic() {
  "\${words[1]}" __complete "$1" -- "\${(@)words[2,CURRENT-1]}" 2>/dev/null
}

${fn}() {
  local cur=\${words[CURRENT]} prev=\${words[CURRENT-1]}
  local cmdpath= word i skip= npos=0 kind=
  local -a described choices listed
  for ((i = 2; i < CURRENT; i++)); do
    word=\${words[i]}
${walkWord(fn, tables, '    ')}
  done
  if [[ -n $skip ]]; then
    case "$cmdpath|$prev" in
${caseArms(
  tables.choices.map(({ key, values }) => ({ key, body: `choices=(${values.map(shellQuote).join(' ')})` })),
  '      ',
)}
${dynamicArms(tables.dynamicOptions, '      ')}
    esac
    [[ -n $kind ]] && choices+=(\${(f)"$(${fn}_dynamic $kind)"})
    if (( \${#choices} )); then compadd -a choices; else _files; fi
    return
  fi
  if [[ $cur == -* ]]; then
    case "$cmdpath" in
${caseArms(
  tables.commands.map((c) => ({ key: c.path, body: `described=(${described(c.options)})` })),
  '      ',
)}
    esac
    _describe -t options option described
    return
  fi
  case "$cmdpath" in
${caseArms(
  tables.commands.map((c) => ({ key: c.path, body: `described=(${described(c.children)})` })),
  '    ',
)}
  esac
  case "$cmdpath|$npos" in
${dynamicArms(tables.dynamicArguments, '    ')}
  esac
  [[ -n $kind ]] && listed=(\${(f)"$(${fn}_dynamic $kind)"})
  (( \${#described} )) && _describe -t commands command described
  (( \${#listed} )) && compadd -a listed
  (( \${#described} + \${#listed} )) || _files
}

if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  ${fn} "$@"
else
  compdef ${fn} ${program}
fi
`;
}
