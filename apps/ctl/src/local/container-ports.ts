import { once } from 'node:events';
import { spawnInNetns } from '@mizzen/net';

// Runs inside the pod's namespace, where the apps listen on loopback: connects to each port
// until it accepts, or prints the first that stays closed past the deadline. A shell rather
// than a Node process, since a mesh starts one per pod on a machine busy starting everything.
const probeScript = `
deadline=$(( $(date +%s%N) / 1000000 + $1 )); shift
for port in "$@"; do
  until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    if [ $(( $(date +%s%N) / 1000000 )) -gt "$deadline" ]; then echo "$port"; exit 1; fi
    sleep 0.1
  done
done
`;

/** Resolves once every port accepts TCP connections on the pod's loopback, so that the mesh is
 *  called ready only when the apps behind the sidecars listen too. Aborting kills the probe. */
export async function waitForContainerPorts(netns: string, pod: string, ports: number[], options: { timeoutMs: number; signal: AbortSignal }): Promise<void> {
  if (ports.length === 0) return;
  const child = spawnInNetns(netns, 'bash', ['-c', probeScript, 'probe', String(options.timeoutMs), ...ports.map(String)], { stdio: ['ignore', 'pipe', 'pipe'], signal: options.signal });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (output += d));
  const [code] = (await once(child, 'close')) as [number | null];
  if (code !== 0) {
    throw new Error(`pod ${pod}: nothing listens on container port ${output.trim() || '?'} after ${options.timeoutMs / 1000}s`);
  }
}
