const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/**
 * %START_TIME% as Envoy prints it: ISO 8601 in UTC with milliseconds by default, or a strftime
 * format with Envoy's fractional-second extensions (%3f, %6f, %9f, %f, %E3S).
 */
export function formatStartTime(epochMs: number, format: string | undefined): string {
  const date = new Date(epochMs);
  if (format === undefined || format === '') return date.toISOString();
  const fraction = (digits: number): string => pad(Math.floor(epochMs % 1000), 3).padEnd(digits, '0').slice(0, digits);
  return format.replace(/%(E\dS|\d?f|.)/g, (spec: string, code: string): string => {
    if (code.startsWith('E')) return `${pad(date.getUTCSeconds())}.${fraction(Number(code[1]))}`;
    if (code.endsWith('f')) return fraction(code.length === 2 ? Number(code[0]) : 9);
    switch (code) {
      case 'Y': return String(date.getUTCFullYear());
      case 'm': return pad(date.getUTCMonth() + 1);
      case 'd': return pad(date.getUTCDate());
      case 'H': return pad(date.getUTCHours());
      case 'M': return pad(date.getUTCMinutes());
      case 'S': return pad(date.getUTCSeconds());
      case 's': return String(Math.floor(epochMs / 1000));
      case 'F': return date.toISOString().slice(0, 10);
      case 'T': return date.toISOString().slice(11, 19);
      case 'z': return '+0000';
      case 'Z': return 'UTC';
      case '%': return '%';
      default: return spec;
    }
  });
}
