import { get } from 'node:http';

export interface ReadyProbe {
  name: string;
  url: string;
}

export interface ProbeResult {
  ready: boolean;
  /** Why not, when not ready: the status and body, or the connection error. */
  reason: string;
}

/** One GET of a readiness URL: ready only on 200. */
export function probe(url: string, timeoutMs = 1000): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const request = get(url, { timeout: timeoutMs }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (d: string) => (body += d));
      response.on('end', () => resolve({ ready: response.statusCode === 200, reason: `HTTP ${response.statusCode}: ${body.trim().slice(0, 200)}` }));
      response.on('error', (error) => resolve({ ready: false, reason: error.message }));
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', (error) => resolve({ ready: false, reason: error.message }));
  });
}

/** Probes until every URL answers 200. Readiness is a remote state with no notification, so
 *  this polls; it rejects at the deadline naming each pod that is not ready and why, or as
 *  soon as `abort` fires. */
export async function waitUntilReady(probes: ReadyProbe[], options: { timeoutMs: number; intervalMs?: number; signal?: AbortSignal; onReady?: (name: string) => void }): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let pending = probes;
  let reasons = new Map<string, string>();
  for (;;) {
    options.signal?.throwIfAborted();
    const results = await Promise.all(pending.map(async (p) => ({ p, result: await probe(p.url) })));
    for (const { p, result } of results) if (result.ready) options.onReady?.(p.name);
    pending = results.filter(({ result }) => !result.ready).map(({ p }) => p);
    reasons = new Map(results.filter(({ result }) => !result.ready).map(({ p, result }) => [p.name, result.reason]));
    if (pending.length === 0) return;
    if (Date.now() >= deadline) {
      const lines = pending.map((p) => `  ${p.name} (${p.url}): ${reasons.get(p.name)}`);
      throw new Error(`not ready after ${options.timeoutMs / 1000}s:\n${lines.join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 250));
  }
}
