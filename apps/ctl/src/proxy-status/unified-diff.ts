/** A unified diff of two texts, line by line (longest common subsequence), with `context`
 *  lines around each change; empty when they are equal. */
export function unifiedDiff(before: string, after: string, labels: { from: string; to: string }, context = 3): string {
  const a = splitLines(before);
  const b = splitLines(after);
  const edits = lineEdits(a, b);
  if (edits.every((edit) => edit.kind === ' ')) return '';
  const hunks = groupHunks(edits, context);
  return [`--- ${labels.from}`, `+++ ${labels.to}`, ...hunks.flatMap(formatHunk)].join('\n') + '\n';
}

interface Edit {
  kind: ' ' | '-' | '+';
  line: string;
  /** Line numbers (1-based) in the old and new text before this edit. */
  oldAt: number;
  newAt: number;
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  return (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n');
}

/** The edit script from a to b: a table of common-subsequence lengths, walked forward. */
function lineEdits(a: string[], b: string[]): Edit[] {
  const lengths = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lengths[i][j] = a[i] === b[j] ? lengths[i + 1][j + 1] + 1 : Math.max(lengths[i + 1][j], lengths[i][j + 1]);
    }
  }
  const edits: Edit[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      edits.push({ kind: ' ', line: a[i], oldAt: i++, newAt: j++ });
    } else if (i < a.length && (j === b.length || lengths[i + 1][j] >= lengths[i][j + 1])) {
      // Removals before additions, as diff prints a changed line.
      edits.push({ kind: '-', line: a[i], oldAt: i++, newAt: j });
    } else {
      edits.push({ kind: '+', line: b[j], oldAt: i, newAt: j++ });
    }
  }
  return edits;
}

/** Runs of edits holding the changes and up to `context` unchanged lines either side; changes
 *  closer than twice the context share a hunk. */
function groupHunks(edits: Edit[], context: number): Edit[][] {
  const changed = edits.flatMap((edit, index) => (edit.kind === ' ' ? [] : [index]));
  const hunks: Edit[][] = [];
  let start = Math.max(0, changed[0] - context);
  let end = changed[0];
  for (const index of changed.slice(1)) {
    if (index - end > 2 * context) {
      hunks.push(edits.slice(start, Math.min(edits.length, end + context + 1)));
      start = index - context;
    }
    end = index;
  }
  hunks.push(edits.slice(start, Math.min(edits.length, end + context + 1)));
  return hunks;
}

function formatHunk(hunk: Edit[]): string[] {
  const oldCount = hunk.filter((edit) => edit.kind !== '+').length;
  const newCount = hunk.filter((edit) => edit.kind !== '-').length;
  const oldStart = oldCount === 0 ? hunk[0].oldAt : hunk[0].oldAt + 1;
  const newStart = newCount === 0 ? hunk[0].newAt : hunk[0].newAt + 1;
  return [`@@ -${oldStart},${oldCount} +${newStart},${newCount} @@`, ...hunk.map((edit) => `${edit.kind}${edit.line}`)];
}
