// Applies the sidecar rules for both families inside a test's network namespace, with an
// ip6tables-restore that refuses every change, to show that the IPv4 tables committed before
// it are put back. Prints the error and exits 1, as the command would.
import { fileURLToPath } from 'node:url';
import { applyCapture } from '../apply-capture.ts';
import { IPV4_TOOLS, IPV6_TOOLS } from '../iptables.ts';
import { DEFAULT_CAPTURE } from '../../config/capture-config.ts';

const config = { ...DEFAULT_CAPTURE, inboundPorts: '*' as const, outboundCidrs: '*' as const, inboundPortsExclude: [15090, 15021, 15020], ipv6: true };
try {
  await applyCapture(config, { ipv4: IPV4_TOOLS, ipv6: { ...IPV6_TOOLS, restore: fileURLToPath(new URL('./ip6tables-restore-refusing-changes.sh', import.meta.url)) } });
  process.stdout.write('applied\n');
} catch (error) {
  process.stderr.write(`error: ${(error as Error).message}\n`);
  process.exitCode = 1;
}
