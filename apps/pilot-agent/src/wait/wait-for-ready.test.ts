import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runCommandLine } from '../cli/command-line.ts';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A readiness endpoint that answers 503 `notReadyTimes` times, then 200. */
async function readiness(notReadyTimes: number): Promise<{ url: string; asked: () => number }> {
  let asked = 0;
  const server = createServer((req, res) => {
    asked += 1;
    if (req.url !== '/healthz/ready') res.writeHead(404).end();
    else if (asked <= notReadyTimes) res.writeHead(503).end('proxy admin /ready answered 503: PRE_INITIALIZING');
    else res.writeHead(200).end('ready');
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/healthz/ready`, asked: () => asked };
}

async function wait(args: string[]) {
  let stderr = '';
  const code = await runCommandLine(['node', 'pilot-agent', 'wait', ...args], {}, async () => 99, (text) => (stderr += text));
  return { code, stderr };
}

describe('pilot-agent wait', { timeout: 10_000 }, () => {
  it('returns 0 once the proxy is ready', async () => {
    const ready = await readiness(2);
    const { code, stderr } = await wait(['--url', ready.url, '--periodMillis', '20', '--timeoutSeconds', '5']);
    expect(code).toBe(0);
    expect(ready.asked()).toBe(3);
    expect(stderr).toContain(`proxy is ready (${ready.url}, attempt 3)`);
  });

  it('returns 1 with the last answer when the proxy is not ready in time', async () => {
    const ready = await readiness(1000);
    const { code, stderr } = await wait(['--url', ready.url, '--periodMillis', '100', '--timeoutSeconds', '1']);
    expect(code).toBe(1);
    expect(ready.asked()).toBeGreaterThanOrEqual(5);
    expect(stderr).toContain(`error: timed out after 1000 ms waiting for the proxy to be ready at ${ready.url}; last answer: 503 proxy admin /ready answered 503: PRE_INITIALIZING`);
  });

  it.each([
    [['--timeoutSeconds', '0'], /--timeoutSeconds.*'0'.*not a positive whole number/],
    [['--url', 'https://x/healthz/ready'], /--url.*only http:\/\/ URLs/],
    [['--url', 'nope'], /--url.*not a URL/],
  ])('exits 2 naming a bad flag: %j', async (args, message) => {
    const { code, stderr } = await wait(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });
});
