// Istio's log line shape: time, level, message, tab separated, on stderr.
export function log(level: 'info' | 'warn' | 'error', message: string): void {
  process.stderr.write(`${new Date().toISOString()}\t${level}\t${message}\n`);
}
