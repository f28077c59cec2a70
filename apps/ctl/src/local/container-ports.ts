import { once } from 'node:events';
import { spawnInNetns } from '@mizzen/net';

// Runs inside the pod's namespace, where the apps listen on loopback: connects to each port
// until it accepts, or reports the first that stays closed past the deadline.
const probeScript = `
const net = require('node:net');
const ports = JSON.parse(process.argv[1]);
const deadline = Date.now() + Number(process.argv[2]);
const open = (port) => new Promise((resolve) => {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('connect', () => { socket.destroy(); resolve(true); }).on('error', () => resolve(false));
});
(async () => {
  for (const port of ports) {
    while (!(await open(port))) {
      if (Date.now() > deadline) { console.log(String(port)); process.exit(1); }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
})();
`;

/** Resolves once every port accepts TCP connections on the pod's loopback, so that the mesh is
 *  called ready only when the apps behind the sidecars listen too. Aborting kills the probe. */
export async function waitForContainerPorts(netns: string, pod: string, ports: number[], options: { timeoutMs: number; signal: AbortSignal }): Promise<void> {
  if (ports.length === 0) return;
  const child = spawnInNetns(netns, process.execPath, ['-e', probeScript, JSON.stringify(ports), String(options.timeoutMs)], { stdio: ['ignore', 'pipe', 'pipe'], signal: options.signal });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (output += d));
  const [code] = (await once(child, 'close')) as [number | null];
  if (code !== 0) {
    throw new Error(`pod ${pod}: nothing listens on container port ${output.trim() || '?'} after ${options.timeoutMs / 1000}s`);
  }
}
