import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCommandLine } from '../command-line.ts';

const path = (relative: string): string => fileURLToPath(new URL(relative, import.meta.url));
const manifests = path('../../../../samples/bookinfo/manifests');
const networking = path('../../../../samples/bookinfo/networking');
const broken = path('./testdata/broken-bookinfo');

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCommandLine(['node', 'mizzenctl', 'analyze', ...args], { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

describe('mizzenctl analyze', () => {
  it('finds nothing wrong with the Bookinfo sample', async () => {
    expect(await run(['-f', manifests, '-f', networking])).toEqual({ code: 0, out: '✔ No validation issues found when analyzing namespace: default.\n', err: '' });
    expect(await run(['-f', manifests, '-f', networking, '--all-namespaces'])).toMatchObject({ code: 0, out: '✔ No validation issues found when analyzing all namespaces.\n' });
  });

  it('reports a broken copy at the offending lines, errors first, and exits 79', async () => {
    const file = `${broken}/networking.yaml`;
    const result = await run(['-f', manifests, '-f', broken]);
    expect(result.code).toBe(79);
    expect(result.err).toBe('Error: Analyzers found issues when analyzing namespace: default.\n');
    expect(result.out.split('\n').filter(Boolean)).toEqual([
      `Error [IST0106] (VirtualService default/broken ${file}:62) Schema validation error: spec.hosts: must be a list, got string "reviews"`,
      `Error [IST0101] (VirtualService default/reviews ${file}:12) Referenced host not found: "reviewz"`,
      `Error [IST0101] (VirtualService default/reviews ${file}:13) Referenced host+subset in destinationrule not found: "reviewz+v1"`,
      `Error [IST0101] (VirtualService default/reviews ${file}:17) Referenced host+subset in destinationrule not found: "reviews+v9"`,
      `Warning [MZN0001] (DestinationRule default/ratings ${file}:29) Subset "v7" of host "ratings" selects no pod of Service default/ratings`,
      `Warning [MZN0002] (Gateway default/lonely-gateway ${file}:33) No VirtualService is bound to this Gateway`,
      `Info [IST0118] (Service default/metrics ${file}:54) Port name metrics (port: 9090, targetPort: 9090) doesn't follow the naming convention of Istio port.`,
    ]);
  });

  it('prints JSON, and keeps to the namespace asked for', async () => {
    const result = await run(['-f', broken, '-o', 'json']);
    const records = JSON.parse(result.out) as { code: string; level: string; origin: string }[];
    expect(records.map((r) => r.code)).toContain('IST0101');
    expect(records[0]).toMatchObject({ level: 'Error', code: 'IST0106' });
    expect(await run(['-f', broken, '-n', 'elsewhere'])).toMatchObject({ code: 0, out: '✔ No validation issues found when analyzing namespace: elsewhere.\n' });
  });

  it('exits 2 for a bad flag, and names a missing file', async () => {
    expect(await run(['-f', manifests, '-o', 'xml'])).toMatchObject({ code: 2, err: expect.stringContaining("argument 'xml' is invalid") });
    expect(await run([])).toMatchObject({ code: 2 });
    expect(await run(['-f', path('./testdata/no-such-file.yaml')])).toMatchObject({ code: 1, err: expect.stringContaining('no-such-file.yaml: cannot read') });
  });
});
