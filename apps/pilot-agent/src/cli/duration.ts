// Durations are written as Go and Istio write them ("45s", "1m30s", "500ms"), so that the same
// values work in a pod spec for either agent.
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;

/** Parses a duration such as "45s" or "1m30s" into milliseconds; throws naming the reason. */
export function parseDuration(text: string): number {
  if (text === '0') return 0;
  if (text === '') throw new Error('empty duration');
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const start = PART.lastIndex;
    const match = PART.exec(text);
    if (!match) throw new Error(`"${text}" is not a duration (at "${text.slice(start)}"; use e.g. 45s, 1m30s, 500ms)`);
    total += Number(match[1]) * UNIT_MS[match[2]];
  }
  return Math.round(total);
}

/** Writes milliseconds as Envoy/protobuf JSON writes a Duration ("45s", "0.500s"). */
export function formatDuration(ms: number): string {
  const seconds = ms / 1000;
  return Number.isInteger(seconds) ? `${seconds}s` : `${seconds.toFixed(3)}s`;
}
