import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '@mizzen/testing';

const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Starts an app as the manifests do and waits for the line saying it listens. */
async function start(app: string, port: number, env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; line: string }> {
  const file = fileURLToPath(new URL(`./${app}.ts`, import.meta.url));
  const child = spawn(process.execPath, [file, '--port', String(port)], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as string[];
  return { child, line };
}

async function stop(child: ChildProcess): Promise<number | null> {
  child.kill('SIGTERM');
  const [code] = (await once(child, 'exit')) as [number | null];
  return code;
}

describe('entry points', { timeout: 20_000 }, () => {
  it('the four apps call each other through the URLs env gives, and stop on SIGTERM', async () => {
    const [ratingsPort, detailsPort, reviewsPort, productpagePort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const upstreams = { RATINGS_URL: `http://127.0.0.1:${ratingsPort}`, DETAILS_URL: `http://127.0.0.1:${detailsPort}`, REVIEWS_URL: `http://127.0.0.1:${reviewsPort}` };
    // Started together, as a mesh starts them: nothing is called before the page is asked for.
    const apps = await Promise.all([
      start('ratings', ratingsPort, { POD_NAME: 'ratings-v1-a' }),
      start('details', detailsPort, { POD_NAME: 'details-v1-b' }),
      start('reviews', reviewsPort, { POD_NAME: 'reviews-v3-c', SERVICE_VERSION: 'v3', ...upstreams }),
      start('productpage', productpagePort, { POD_NAME: 'productpage-v1-d', ...upstreams }),
    ]);
    expect(apps.map((app) => app.line)).toEqual([
      `ratings ratings-v1-a listening on 127.0.0.1:${ratingsPort}`,
      `details details-v1-b listening on 127.0.0.1:${detailsPort}`,
      `reviews-v3 reviews-v3-c listening on 127.0.0.1:${reviewsPort}`,
      `productpage productpage-v1-d listening on 127.0.0.1:${productpagePort}`,
    ]);
    const html = await (await fetch(`http://127.0.0.1:${productpagePort}/productpage`)).text();
    expect(html).toContain('<dt>Reviews served by:</dt><dd><u>reviews-v3-c</u></dd>');
    expect(html).toContain('style="color: red" data-stars="4"');
    expect(html).toContain('<dt>Pages:</dt><dd>200</dd>');
    expect(await Promise.all(apps.map((app) => stop(app.child)))).toEqual([0, 0, 0, 0]);
  });

  it('a bad setting stops the app with a message naming it', async () => {
    const file = fileURLToPath(new URL('./reviews.ts', import.meta.url));
    const child = spawn(process.execPath, [file, '--port', '9'], { env: { ...process.env, SERVICE_VERSION: 'v7' }, stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(child);
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).not.toBe(0);
    expect(stderr).toContain('SERVICE_VERSION: "v7" is not one of v1, v2, v3');
  });
});
