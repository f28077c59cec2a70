import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '@mizzen/testing';
import { appOptions } from './app-options.ts';
import { createBackendServer } from './backend-server.ts';
import { createFrontendServer } from './frontend-server.ts';

const servers: Server[] = [];

async function listen(server: Server, port = 0): Promise<number> {
  servers.push(server);
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

describe('hello sample', { timeout: 20_000 }, () => {
  it('frontend returns what the backend said and which pods answered', async () => {
    const backendPort = await listen(createBackendServer('hello-backend-abc-1'));
    const frontendPort = await listen(createFrontendServer({ pod: 'hello-frontend-def-2', backendPort }));
    const response = await fetch(`http://127.0.0.1:${frontendPort}/`, { headers: { 'x-request-id': 'req-42' } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      service: 'hello-frontend',
      pod: 'hello-frontend-def-2',
      backend: { service: 'hello-backend', pod: 'hello-backend-abc-1', requestId: 'req-42' },
    });
  });

  it('frontend answers 502 naming the backend when it cannot be reached', async () => {
    const backendPort = await freePort();
    const frontendPort = await listen(createFrontendServer({ pod: 'f', backendPort }));
    const response = await fetch(`http://127.0.0.1:${frontendPort}/`);
    expect(response.status).toBe(502);
    expect(((await response.json()) as { error: string }).error).toMatch(new RegExp(`backend at 127.0.0.1:${backendPort}: .*ECONNREFUSED`));
  });

  it('reads the port from --port, else PORT, and rejects a bad one', () => {
    expect(appOptions(['--port', '9090'], { POD_NAME: 'p' })).toEqual({ port: 9090, pod: 'p' });
    expect(appOptions([], { PORT: '8080' }).port).toBe(8080);
    expect(() => appOptions(['--port', '70000'], {})).toThrow('--port: "70000" is not a port');
    expect(() => appOptions([], {})).toThrow('--port: "" is not a port');
  });

  it('backend entry point listens on loopback at its port and stops on SIGTERM', async () => {
    const port = await freePort();
    const backend = fileURLToPath(new URL('./backend.ts', import.meta.url));
    const child = spawn(process.execPath, [backend, '--port', String(port)], { env: { ...process.env, POD_NAME: 'hello-backend-x-y' }, stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as string[];
    expect(line).toBe(`hello-backend hello-backend-x-y listening on 127.0.0.1:${port}`);
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).json()).toMatchObject({ pod: 'hello-backend-x-y' });
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
  });
});
