import type { CompletionTables } from './completion-tables.ts';

// What the bash and zsh scripts share: both spell a lookup as a `case` and walk the typed
// words the same way; they differ in how the words are held and how replies are given.

/** A word in single quotes for bash and zsh. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** `case` arms, one per key, each running `body`. */
export function caseArms(entries: { key: string; body: string }[], indent: string): string {
  return entries.map(({ key, body }) => `${indent}${shellQuote(key)}) ${body} ;;`).join('\n');
}

/** `FN_takes_value PATH FLAG`: whether the option's value is the next word. */
export function takesValueFunction(fn: string, tables: CompletionTables): string {
  return `${fn}_takes_value() {
  case "$1|$2" in
${caseArms(
  tables.valueOptions.map((key) => ({ key, body: 'return 0' })),
  '    ',
)}
  esac
  return 1
}`;
}

/** The loop body that walks one typed `word`: an option's value is skipped, a subcommand's
 *  name moves `cmdpath` on, any other word is the command's next positional argument (`npos`). */
export function walkWord(fn: string, tables: CompletionTables, indent: string): string {
  return [
    'if [[ -n $skip ]]; then skip=; continue; fi',
    'if [[ $word == -* ]]; then',
    `  ${fn}_takes_value "$cmdpath" "$word" && skip=1`,
    '  continue',
    'fi',
    'case "$cmdpath|$word" in',
    caseArms(
      tables.children.map(({ key, path }) => ({ key, body: `cmdpath=${shellQuote(path)}; npos=0` })),
      '  ',
    ),
    '  *) npos=$((npos + 1)) ;;',
    'esac',
  ]
    .map((line) => line.split('\n').map((part) => `${indent}${part}`).join('\n'))
    .join('\n');
}

/** Arms that set `kind` to what the program lists for an option's value or a positional word. */
export function dynamicArms(entries: { key: string; kind: string }[], indent: string): string {
  return caseArms(
    entries.map(({ key, kind }) => ({ key, body: `kind=${kind}` })),
    indent,
  );
}
