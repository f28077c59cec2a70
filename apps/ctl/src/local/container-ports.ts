import { once } from 'node:events';
import { spawnInNetns } from '@mizzen/net';

// Runs inside the pod's namespace, where the apps listen on loopback: connects to each port
// until it accepts, or prints the first that stays closed past the deadline. A shell rather
// than a Node process, since a mesh starts one per pod on a machine busy starting everything;
// and a loop of bash builtins only (the clock from EPOCHREALTIME, the pause a timed read on a
// pipe the shell holds both ends of), since forking date and sleep ten times a second in every
// pod cost more CPU than the start-up it waits for.
const probeScript = `
deadline=$(( \${EPOCHREALTIME/./} / 1000 + $1 )); shift
exec 4<> <(:)
for port in "$@"; do
  until : 2>/dev/null 3<>"/dev/tcp/127.0.0.1/$port"; do
    if (( \${EPOCHREALTIME/./} / 1000 > deadline )); then echo "$port"; exit 1; fi
    read -r -t 0.1 -u 4
  done
done
exit 0
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
