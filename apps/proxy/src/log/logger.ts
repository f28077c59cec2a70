import type { Logger } from '@mizzen/filters';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warning', 'warn', 'error', 'critical', 'off'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const RANK: Record<LogLevel, number> = { trace: 0, debug: 1, info: 2, warning: 3, warn: 3, error: 4, critical: 5, off: 6 };

/** Envoy-style log lines on stderr: "[time][level] message". */
export class ConsoleLogger implements Logger {
  level: LogLevel;
  private readonly prefix: string;
  /** `name` tells apart the lines of worker threads. */
  constructor(level: LogLevel = 'info', name = '') {
    this.level = level;
    this.prefix = name ? `[${name}]` : '';
  }
  private write(level: LogLevel, message: string): void {
    if (RANK[level] < RANK[this.level]) return;
    process.stderr.write(`[${new Date().toISOString()}][${level}]${this.prefix} ${message}\n`);
  }
  debug(message: string): void {
    this.write('debug', message);
  }
  info(message: string): void {
    this.write('info', message);
  }
  warn(message: string): void {
    this.write('warning', message);
  }
  error(message: string): void {
    this.write('error', message);
  }
}
