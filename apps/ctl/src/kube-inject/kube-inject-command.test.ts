import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { kubeInjectCommand } from './kube-inject-command.ts';

const workloads = fileURLToPath(new URL('./testdata/workloads.yaml', import.meta.url));

async function run(args: string[], stdin = ''): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const output = { out: (t: string) => (out += t), err: (t: string) => (err += t) };
  const command = kubeInjectCommand(output, Readable.from([stdin])).exitOverride().configureOutput({ writeOut: output.out, writeErr: output.err });
  try {
    await command.parseAsync(args, { from: 'user' });
    return { code: 0, out, err };
  } catch (error) {
    const code = (error as { exitCode?: number }).exitCode;
    return { code: code === undefined ? 1 : 2, out, err: err + (code === undefined ? (error as Error).message : '') };
  }
}

type Doc = { kind: string; metadata: { name: string }; spec: Record<string, unknown> };
const documents = (text: string): Doc[] => parseAllDocuments(text).map((d) => d.toJS() as Doc);
const containerNames = (spec: unknown): string[] => (spec as { containers: { name: string }[] }).containers.map((c) => c.name);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kube-inject-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('mizzenctl kube-inject', () => {
  it('injects the workloads and passes the other documents through', async () => {
    const result = await run(['-f', workloads]);
    expect(result.code).toBe(0);
    expect(result.err).toBe('Pod default/no-sidecar: not injected: the pod\'s annotation sidecar.istio.io/inject is "false"\n');
    const docs = documents(result.out);
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`)).toEqual(['Service/details', 'Deployment/details-v1', 'Pod/no-sidecar', 'CronJob/report', 'ConfigMap/settings']);
    const original = documents(await readFile(workloads, 'utf8'));
    expect(docs[0]).toEqual(original[0]);
    expect(docs[2]).toEqual(original[2]);
    expect(docs[4]).toEqual(original[4]);
    // Comments survive in what is passed through.
    expect(result.out).toContain('# the protocol comes from the port name');
    const template = docs[1].spec.template as { spec: unknown; metadata: { annotations: Record<string, string> } };
    expect(containerNames(template.spec)).toEqual(['details', 'istio-proxy']);
    expect(template.metadata.annotations['sidecar.istio.io/status']).toContain('"revision":"default"');
    const job = (docs[3].spec.jobTemplate as { spec: { template: { spec: { initContainers: { name: string }[] } } } }).spec.template.spec;
    expect(containerNames(job)).toEqual(['report', 'istio-proxy']);
    expect(job.initContainers.map((c) => c.name)).toEqual(['istio-init']);
  });

  it('reads standard input and writes the file given', async () => {
    const file = join(dir, 'out.yaml');
    const pod = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n    - name: web\n';
    expect(await run(['-f', '-', '-o', file], pod)).toEqual({ code: 0, out: '', err: '' });
    expect(containerNames(documents(await readFile(file, 'utf8'))[0].spec)).toEqual(['web', 'istio-proxy']);
  });

  it("gives the sidecars the mesh config's defaultConfig, and the revision asked for", async () => {
    const mesh = join(dir, 'mesh.yaml');
    await writeFile(mesh, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio\ndata:\n  mesh: |\n    trustDomain: example.org\n    defaultConfig:\n      discoveryAddress: istiod-canary.istio-system.svc:15012\n      holdApplicationUntilProxyStarts: true\n      proxyMetadata:\n        ISTIO_META_DNS_CAPTURE: "true"\n');
    const result = await run(['-f', workloads, '--meshConfigFile', mesh, '--revision', 'canary']);
    const template = documents(result.out)[1].spec.template as { spec: { containers: { name: string; env: { name: string; value?: string }[] }[]; initContainers: { args: string[] }[] }; metadata: { annotations: Record<string, string> } };
    expect(containerNames(template.spec)).toEqual(['istio-proxy', 'details']);
    const env = Object.fromEntries(template.spec.containers[0].env.map((e) => [e.name, e.value]));
    expect(env).toMatchObject({ CA_ADDR: 'istiod-canary.istio-system.svc:15012', TRUST_DOMAIN: 'example.org', ISTIO_META_DNS_CAPTURE: 'true' });
    expect(template.spec.initContainers[0].args).toContain('--redirect-dns');
    expect(template.metadata.annotations['istio.io/rev']).toBe('canary');
  });

  it("takes the proxy image from the injector's values", async () => {
    const injector = join(dir, 'injector.yaml');
    await writeFile(injector, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio-sidecar-injector\ndata:\n  values: \'{"global": {"hub": "registry.local/mesh", "tag": "9.9"}}\'\n');
    const result = await run(['-f', workloads, '--injectConfigFile', injector]);
    const images = (documents(result.out)[1].spec.template as { spec: { containers: { image: string }[]; initContainers: { image: string }[] } }).spec;
    expect(images.containers[1].image).toBe('registry.local/mesh/proxyv2:9.9');
    expect(images.initContainers[0].image).toBe('registry.local/mesh/proxyv2:9.9');
  });

  it('names the document and the field that stop it', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'kind: Service\nmetadata: {name: a}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    metadata:\n      annotations:\n        traffic.sidecar.istio.io/excludeInboundPorts: "http"\n    spec:\n      containers: [{name: web}]\n');
    expect(await run(['-f', bad])).toMatchObject({
      code: 1,
      err: `${bad}: document 2: Deployment default/web: annotation traffic.sidecar.istio.io/excludeInboundPorts: must be a comma-separated list of ports, got "http"`,
    });
    await writeFile(bad, 'kind: [Pod\n');
    expect((await run(['-f', bad])).err).toContain(`${bad}: document 1: not valid YAML`);
    const mesh = join(dir, 'mesh.yaml');
    await writeFile(mesh, 'defaultConfig:\n  holdApplicationUntilProxyStarts: sometimes\n');
    expect((await run(['-f', workloads, '--meshConfigFile', mesh])).err).toBe(`${mesh}: defaultConfig.holdApplicationUntilProxyStarts: must be true or false`);
    expect((await run(['-f', join(dir, 'missing.yaml')])).err).toBe(`${join(dir, 'missing.yaml')}: cannot read (ENOENT)`);
    expect((await run([])).code).toBe(2);
  });
});
