import { connect, createServer, type Server, type Socket } from 'node:net';
import { originalDestination, preloadNativeAddon } from '@mizzen/net';

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

/** Proves that the rules redirect as they should; resolves to the address dialled, or rejects
 *  with what went wrong. */
export async function validateCapture(plan: ValidationPlan): Promise<string> {
  const dialled = hostPort(ADDRESSES[plan.family].dialled, plan.probePort);
  // While the dial runs this process acts as the proxy's user, who may not read our files.
  preloadNativeAddon();
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

/** Connects to the validation address as the proxy's user; resolves to the listener's answer.
 *  The kernel stamps a socket with the effective uid and gid in force when it creates it, and
 *  the capture rules match those; so this process takes on the proxy's ids just for the dial,
 *  rather than starting a program as that user, which would need our files readable by it. */
function dialAsProxy(plan: ValidationPlan): Promise<string> {
  const { dialled, source } = ADDRESSES[plan.family];
  return new Promise((resolve, reject) => {
    const fail = (why: string) =>
      reject(new Error(`validation failed: a connection to ${hostPort(dialled, plan.probePort)} as uid ${plan.uid} was not redirected to port ${plan.listenPort}: ${why}`));
    const restore = actAs(plan.uid, plan.gid);
    let socket: Socket;
    try {
      socket = connect({ host: dialled, port: plan.probePort, localAddress: source, timeout: plan.timeoutMs });
    } catch (error) {
      restore();
      return fail((error as Error).message);
    }
    // Node creates the socket when it issues the connect, a tick later: the first event of any
    // kind comes after that.
    for (const event of ['connect', 'error', 'timeout', 'close']) socket.once(event, restore);
    let answer = '';
    socket.setEncoding('utf8').on('data', (d: string) => (answer += d));
    socket.on('end', () => resolve(answer));
    socket.on('timeout', () => {
      socket.destroy();
      fail(`no answer within ${plan.timeoutMs}ms`);
    });
    socket.on('error', (error) => fail(`connection to ${hostPort(dialled, plan.probePort)}: ${error.message}`));
  });
}

/** Takes on a user's effective ids; returns what gives the original ones back (once). */
function actAs(uid: number, gid: number): () => void {
  if (!process.seteuid || !process.setegid || !process.geteuid || !process.getegid) {
    throw new Error('validation failed: this platform cannot switch user ids');
  }
  const [ownUid, ownGid] = [process.geteuid(), process.getegid()];
  // The group first, while still privileged; back in the opposite order.
  process.setegid(gid);
  process.seteuid(uid);
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    process.seteuid!(ownUid);
    process.setegid!(ownGid);
  };
}

const hostPort = (host: string, port: number) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);
