import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { originalDestination } from '@mizzen/net';

/** What --run-validation checks, as istio-iptables does: a connection the proxy's user makes to
 *  the probe port of 127.0.0.6 (::6 for IPv6) must be redirected to the inbound capture port,
 *  and the original destination read there must be the one dialled. */
export interface ValidationPlan {
  family: 4 | 6;
  /** Where the listener waits: the inbound capture port, on loopback. */
  listenPort: number;
  /** The port dialled (--iptables-probe-port). */
  probePort: number;
  /** The check must finish within this time (--probe-timeout). */
  timeoutMs: number;
  /** The proxy's user and group: loopback traffic of theirs goes to the inbound capture port. */
  uid: number;
  gid: number;
}

/** Per family: the address dialled, which the rules redirect for the proxy's user, and the
 *  loopback address REDIRECT delivers to. The IPv6 client binds ::1 as its source: left to
 *  itself it would pick ::6, whose own traffic the rules return uncaptured. */
const ADDRESSES = {
  4: { dialled: '127.0.0.6', loopback: '127.0.0.1', source: undefined },
  6: { dialled: '::6', loopback: '::1', source: '::1' },
} as const;

const probeClient = fileURLToPath(new URL('./probe-client.ts', import.meta.url));

/** Proves that the rules redirect as they should; resolves to the address dialled, or rejects
 *  with what went wrong. */
export async function validateCapture(plan: ValidationPlan): Promise<string> {
  const dialled = hostPort(ADDRESSES[plan.family].dialled, plan.probePort);
  const server = await listen(ADDRESSES[plan.family].loopback, plan.listenPort);
  try {
    const answer = await dialAsProxy(plan);
    if (answer !== dialled) {
      throw new Error(`validation failed: a connection to ${dialled} reached port ${plan.listenPort}, but its original destination was ${answer}`);
    }
    return dialled;
  } finally {
    server.close();
  }
}

/** A listener that answers each connection with its original destination, "ADDRESS:PORT". */
async function listen(host: string, port: number): Promise<Server> {
  const server = createServer(answerOriginalDestination);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(new Error(`validation failed: cannot listen on ${hostPort(host, port)}: ${error.message}`)));
    server.listen(port, host, resolve);
  });
  return server;
}

function answerOriginalDestination(socket: Socket): void {
  socket.on('error', () => {}); // the client may give up first; it reports that itself
  try {
    const original = originalDestination(socket);
    socket.end(hostPort(original.address, original.port));
  } catch (error) {
    socket.end(`unreadable (${(error as Error).message})`);
  }
}

/** Connects to the validation address as the proxy's user; resolves to the listener's answer. */
function dialAsProxy(plan: ValidationPlan): Promise<string> {
  const { dialled, source } = ADDRESSES[plan.family];
  const args = [probeClient, dialled, String(plan.probePort), String(plan.timeoutMs), ...(source ? [source] : [])];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { uid: plan.uid, gid: plan.gid, stdio: ['ignore', 'pipe', 'pipe'], timeout: plan.timeoutMs + 1000 });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (error) => reject(new Error(`validation failed: cannot start the probe client: ${error.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) return resolve(stdout);
      const why = signal ? `timed out after ${plan.timeoutMs}ms` : stderr.trim();
      reject(new Error(`validation failed: a connection to ${hostPort(dialled, plan.probePort)} as uid ${plan.uid} was not redirected to port ${plan.listenPort}: ${why}`));
    });
  });
}

const hostPort = (host: string, port: number) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);
