import { allNodes, type CompletionNode } from './command-tree.ts';
import { completionTables, functionName, scriptHeader } from './completion-tables.ts';

/** A word in single quotes for fish, where a backslash escapes a quote or a backslash. */
function fishQuote(text: string): string {
  return `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/** A fish completion script for the program: a function walks the words typed so far through
 *  the command tree, and each subcommand, option, allowed value, and the pods and namespaces
 *  the program lists, is offered where that walk ends. */
export function fishCompletion(program: string, root: CompletionNode): string {
  const fn = functionName(program, '__');
  const tables = completionTables(root);
  const condition = (test: string) => `-n ${fishQuote(test)}`;
  const at = (path: string) => condition(`${fn}_at ${fishQuote(path)}`);
  const dynamicOption = new Map(tables.dynamicOptions.map(({ key, kind }) => [key, kind]));
  const childCases = [...Map.groupBy(tables.children, (child) => child.path)].map(
    ([path, keys]) => `            case ${keys.map(({ key }) => fishQuote(key)).join(' ')}\n                set cmdpath ${fishQuote(path)}\n                set npos 0`,
  );
  const lines = allNodes(root).flatMap((node) => {
    const path = node.path.join(' ');
    return [
      ...node.children.flatMap((child) => child.names.map((name) => `complete -c ${program} ${at(path)} -f -a ${fishQuote(name)} -d ${fishQuote(child.description)}`)),
      ...node.options.map((o) => {
        const long = o.flags.find((flag) => flag.startsWith('--'));
        const short = o.flags.find((flag) => !flag.startsWith('--'));
        const names = [long ? `-l ${long.slice(2)}` : '', short ? `-s ${short.slice(1)}` : ''].filter(Boolean).join(' ');
        const kind = dynamicOption.get(`${path}|${o.flags[0]}`);
        const value = o.choices.length > 0 ? ` -x -a ${fishQuote(o.choices.join(' '))}` : kind ? ` -x -a ${fishQuote(`(${fn}_dynamic ${kind})`)}` : o.takesValue ? ' -r' : '';
        return `complete -c ${program} ${at(path)} ${names}${value} -d ${fishQuote(o.description)}`;
      }),
    ];
  });
  const argumentLines = tables.dynamicArguments.map(({ key, kind }) => {
    const [path, position] = key.split('|');
    return `complete -c ${program} ${condition(`${fn}_arg ${fishQuote(path)} ${position}`)} -f -a ${fishQuote(`(${fn}_dynamic ${kind})`)}`;
  });
  return `${scriptHeader(program, 'fish', `save it as ~/.config/fish/completions/${program}.fish, or source it`)}
function ${fn}_state --description 'the command named by the words typed so far, and how many of its arguments follow: PATH|N'
    set -l cmdpath ''
    set -l npos 0
    set -l skip 0
    for word in (commandline -opc)[2..-1]
        if test $skip = 1
            set skip 0
            continue
        end
        if string match -q -- '-*' $word
            switch "$cmdpath|$word"
                case ${tables.valueOptions.map(fishQuote).join(' ') || "''"}
                    set skip 1
            end
            continue
        end
        switch "$cmdpath|$word"
${childCases.join('\n')}
            case '*'
                set npos (math $npos + 1)
        end
    end
    echo "$cmdpath|$npos"
end

function ${fn}_at --description 'whether the words typed so far name this command'
    test (string split -f 1 '|' -- (${fn}_state)) = "$argv[1]"
end

function ${fn}_arg --description 'whether the next word is this positional argument of this command'
    test (${fn}_state) = "$argv[1]|$argv[2]"
end

function ${fn}_dynamic --description 'pods or namespaces, listed by the program for the words typed so far'
    set -l typed (commandline -opc)
    $typed[1] __complete $argv[1] -- $typed[2..-1] 2>/dev/null
end

complete -c ${program} -e
${lines.join('\n')}
${argumentLines.join('\n')}
`;
}

