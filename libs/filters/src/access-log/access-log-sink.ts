import { openSync, write } from 'node:fs';
import { ConfigError } from '../config-error.ts';

/** Where formatted entries go. Entries of one tick leave in one write. */
export interface AccessLogSink {
  write(entry: string): void;
}

/** Lines written in the current tick, then one write per sink. */
class BufferedSink implements AccessLogSink {
  private pending: string[] = [];
  private scheduled = false;
  private inFlight = 0;
  private idle: (() => void)[] = [];
  private readonly out: (data: string, done: () => void) => void;

  constructor(out: (data: string, done: () => void) => void) {
    this.out = out;
  }

  write(entry: string): void {
    this.pending.push(entry);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(flushSink, this);
    }
  }

  flush(): void {
    this.scheduled = false;
    const data = this.pending.join('');
    this.pending = [];
    this.inFlight++;
    this.out(data, () => {
      if (--this.inFlight === 0 && !this.scheduled) for (const resolve of this.idle.splice(0)) resolve();
    });
  }

  /** Resolves once everything written so far is out. */
  settled(): Promise<void> {
    if (!this.scheduled && this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }
}

function flushSink(sink: BufferedSink): void {
  sink.flush();
}

// One sink per path, shared by every logger that names it (appends never interleave mid-line).
const files = new Map<string, BufferedSink>();
let stdout: BufferedSink | undefined;
let stderr: BufferedSink | undefined;

function streamSink(stream: NodeJS.WriteStream): BufferedSink {
  return new BufferedSink((data, done) => {
    stream.write(data, () => done());
  });
}

export function stdoutSink(): AccessLogSink {
  stdout ??= streamSink(process.stdout);
  return stdout;
}

export function stderrSink(): AccessLogSink {
  stderr ??= streamSink(process.stderr);
  return stderr;
}

/** The file at `path`, opened for appending now so that a path that cannot be written is a
 *  config error naming it, not a silent loss later. /dev/stdout and /dev/stderr are the
 *  process's own streams. */
export function fileSink(path: string, configPath: string): AccessLogSink {
  if (path === '/dev/stdout') return stdoutSink();
  if (path === '/dev/stderr') return stderrSink();
  let sink = files.get(path);
  if (sink) return sink;
  let fd: number;
  try {
    fd = openSync(path, 'a');
  } catch (err) {
    throw new ConfigError(configPath, `cannot open access log file "${path}": ${(err as Error).message}`);
  }
  sink = new BufferedSink((data, done) => {
    // A failed write (disk full) loses those entries; the proxy goes on.
    write(fd, data, null, 'utf8', () => done());
  });
  files.set(path, sink);
  return sink;
}

/** Resolves once every entry logged so far has been written (tests, and shutdown). */
export async function flushAccessLogs(): Promise<void> {
  const sinks = [...files.values(), stdout, stderr].filter((s) => s !== undefined);
  await Promise.all(sinks.map((s) => s.settled()));
}
