import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { originalDestination } from '@mizzen/net';

/** What --run-validation checks, as istio-iptables does: a connection the proxy's user makes to
 *  the probe port of 127.0.0.6 must be redirected to the inbound capture port, and the original
 *  destination read there must be the one dialled. */
export interface ValidationPlan {
  /** Where the listener waits: the inbound capture port, on loopback. */
  listenPort: number;
  /** The port dialled (--iptables-probe-port). */
  probePort: number;
  /** The whole check must finish within this time (--probe-timeout). */
  timeoutMs: number;
  /** The proxy's user and group: loopback traffic of theirs goes to the inbound capture port. */
  uid: number;
  gid: number;
}

/** The address dialled: a loopback address the rules redirect for the proxy's user. */
export const VALIDATION_ADDRESS = '127.0.0.6';

const probeClient = fileURLToPath(new URL('./probe-client.ts', import.meta.url));

/** Proves that the rules just applied redirect as they should; rejects with what went wrong. */
export async function validateCapture(plan: ValidationPlan): Promise<void> {
  const dialled = `${VALIDATION_ADDRESS}:${plan.probePort}`;
  const server = await listen(plan.listenPort);
  try {
    const answer = await dialAsProxy(plan);
    if (answer !== dialled) {
      throw new Error(`validation failed: a connection to ${dialled} reached port ${plan.listenPort}, but its original destination was ${answer}`);
    }
  } finally {
    server.close();
  }
}

/** A listener that answers each connection with its original destination, "ADDRESS:PORT". */
async function listen(port: number): Promise<Server> {
  const server = createServer(answerOriginalDestination);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(new Error(`validation failed: cannot listen on 127.0.0.1:${port}: ${error.message}`)));
    server.listen(port, '127.0.0.1', resolve);
  });
  return server;
}

function answerOriginalDestination(socket: Socket): void {
  socket.on('error', () => {}); // the client may give up first; it reports that itself
  try {
    const original = originalDestination(socket);
    socket.end(`${original.address}:${original.port}`);
  } catch (error) {
    socket.end(`unreadable (${(error as Error).message})`);
  }
}

/** Connects to the validation address as the proxy's user; resolves to the listener's answer. */
function dialAsProxy(plan: ValidationPlan): Promise<string> {
  const dialled = `${VALIDATION_ADDRESS}:${plan.probePort}`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [probeClient, VALIDATION_ADDRESS, String(plan.probePort), String(plan.timeoutMs)], {
      uid: plan.uid,
      gid: plan.gid,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: plan.timeoutMs + 1000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (error) => reject(new Error(`validation failed: cannot start the probe client: ${error.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) return resolve(stdout);
      const why = signal ? `timed out after ${plan.timeoutMs}ms` : stderr.trim();
      reject(new Error(`validation failed: a connection to ${dialled} as uid ${plan.uid} was not redirected to port ${plan.listenPort}: ${why}`));
    });
  });
}
