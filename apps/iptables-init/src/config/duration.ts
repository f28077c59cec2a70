const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A duration as Go writes one ("5s", "1.5s", "500ms", "1m30s"), in milliseconds; a bare
 *  number is seconds. */
export function parseDuration(text: string): number {
  if (/^\d+(\.\d+)?$/.test(text)) return positive(Number(text) * 1000, text);
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) {
    throw new Error(`"${text}" is not a duration (such as 5s, 500ms or 1m30s)`);
  }
  return positive(parts.reduce((sum, [, value, unit]) => sum + Number(value) * UNIT_MS[unit], 0), text);
}

function positive(ms: number, text: string): number {
  if (!(ms > 0)) throw new Error(`"${text}" is not a positive duration`);
  return Math.round(ms);
}
