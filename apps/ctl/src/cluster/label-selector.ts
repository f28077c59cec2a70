/** Whether Kubernetes' equality-based label selector picks these labels: terms `key=value`
 *  (or `==`), `key!=value`, `key` (present) and `!key` (absent), comma-separated, all to hold.
 *  Throws naming a term it cannot read. */
export function selectorMatches(selector: string, labels: Record<string, string>): boolean {
  return parseSelector(selector).every((term) => term(labels));
}

type Term = (labels: Record<string, string>) => boolean;

export function parseSelector(selector: string): Term[] {
  return selector
    .split(',')
    .map((text) => text.trim())
    .filter((text) => text !== '')
    .map((text): Term => {
      const match = /^(!?)([A-Za-z0-9._/-]+)\s*(?:(==|=|!=)\s*([A-Za-z0-9._-]*))?$/.exec(text);
      if (!match) throw new Error(`label selector ${JSON.stringify(selector)}: cannot read ${JSON.stringify(text)} (key=value, key!=value, key or !key)`);
      const [, not, key, op, value] = match;
      if (op === undefined) return not ? (labels) => !(key in labels) : (labels) => key in labels;
      if (not) throw new Error(`label selector ${JSON.stringify(selector)}: ${JSON.stringify(text)} negates a comparison`);
      return op === '!=' ? (labels) => labels[key] !== value : (labels) => labels[key] === value;
    });
}
