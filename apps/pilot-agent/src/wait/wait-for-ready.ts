import { request } from 'node:http';

export interface WaitOptions {
  url: URL;
  timeoutMs: number;
  periodMs: number;
  requestTimeoutMs: number;
}

/**
 * `pilot-agent wait`, for holdApplicationUntilProxyStarts: asks the readiness URL every period
 * until it answers 200, or the timeout passes. Resolves to the number of attempts, or rejects
 * with the last reason it was not ready.
 */
export async function waitForReady(options: WaitOptions, log: (line: string) => void): Promise<number> {
  const deadline = Date.now() + options.timeoutMs;
  let lastReason = 'no attempt made';
  for (let attempt = 1; ; attempt++) {
    const started = Date.now();
    lastReason = await check(options.url, options.requestTimeoutMs);
    if (lastReason === '') {
      log(`proxy is ready (${options.url.href}, attempt ${attempt})`);
      return attempt;
    }
    const next = started + options.periodMs;
    if (next >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - Date.now())));
  }
  throw new Error(`timed out after ${options.timeoutMs} ms waiting for the proxy to be ready at ${options.url.href}; last answer: ${lastReason}`);
}

/** '' when the URL answers 200, else why not. */
function check(url: URL, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const req = request(url, { timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('error', (error) => resolve(error.message));
      res.on('end', () => resolve(res.statusCode === 200 ? '' : `${res.statusCode} ${body.trim()}`.trim()));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    req.end();
  });
}
