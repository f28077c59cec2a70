/**
 * Bookinfo on one machine, measured: `mizzenctl local up` on a copy of
 * samples/bookinfo/manifests (with the destination rules, all-to-v1 routing and the ingress
 * gateway of samples/bookinfo/networking), then
 *  - the time from starting `local up` to each sidecar's ready line and to the mesh's ready line;
 *  - the memory of every process the mesh runs (from /proc, by the process groups its record
 *    names): istiod, each sidecar (pilot-agent plus proxy), each app, the runner, and the total;
 *  - the time for a VirtualService change on disk (reviews all to v1, then all to v3, and back)
 *    to be acknowledged by every proxy whose routes it changes, polling istiod's /debug/syncz;
 *  - `local down`, checked to leave no namespace, link, route, rule, file or process.
 * It prints a Markdown section against the targets of the local mesh (every sidecar ready in
 * at most 15 s, a change acknowledged everywhere in at most 1 s); `--record` also puts it at the
 * top of BENCHMARKS.md's results. Needs root, as `local up` does. Each run uses a fresh state
 * folder, so Node's compile cache the runner keeps there starts cold (a first `local up` on a
 * machine); `--state-dir DIR` reuses DIR and its cache (a later one), and keeps it.
 *
 *   node bench/local-mesh.ts [--rounds 5] [--record] [--state-dir DIR]
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, machine, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { execFileText, leftovers, mizzenctl, openTempDir, processesMentioning, repoRoot } from '../e2e/src/mesh-process.ts';
import { loadRecord, meshPaths, type MeshRecord } from '../apps/ctl/src/local/mesh-state.ts';

const targets = { readyMs: 15_000, ackMs: 1_000 };
/** How long one change may take before the round counts as failed. */
const ackTimeoutMs = 30_000;
/** The pause between two polls of /debug/syncz: the measured time is late by at most this
 *  plus one request. */
const pollGapMs = 5;
/** The kernel's clock ticks per second, in which /proc reports CPU time. */
const clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
const reviewsHost = 'reviews.default.svc.cluster.local';
const routingFile = 'virtual-service-all-v1.yaml';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, record: { type: 'boolean', default: false }, 'state-dir': { type: 'string' } } });
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) fail(`--rounds: expected a whole number of at least 1, got ${values.rounds}`);
if (process.getuid?.() !== 0) fail('needs root, as mizzenctl local up does (network namespaces, iptables)');

interface Timed {
  ms: number;
  line: string;
}

interface ProcessMemory {
  pid: number;
  kind: string;
  rssKiB: number;
  pssKiB: number;
  /** CPU time used, by the process and the children it has reaped (such as init containers). */
  cpuSeconds: number;
}

interface GroupMemory {
  label: string;
  pod?: string;
  processes: ProcessMemory[];
}

interface ChangeRound {
  subset: string;
  /** Until every affected proxy acknowledged a route version holding the change. */
  ackMs: number;
  /** Until istiod began building the push that carried it (from the push's version stamp). */
  pushMs: number | undefined;
}

const startLoad = loadavg();
const startedAt = new Date();
const configDir = await openTempDir('mizzen-bench-bookinfo-');
const keptState = values['state-dir'];
if (keptState !== undefined) await mkdir(keptState, { recursive: true, mode: 0o755 });
const stateDir = keptState ?? (await openTempDir('mizzen-bench-state-'));
/** Whether the state folder already held a compile cache from an earlier mesh. */
const cacheWarm = (await readdir(join(stateDir, '.compile-cache')).catch(() => [])).length > 0;
await prepareConfig(configDir);

const t0 = performance.now();
const runner = spawn(process.execPath, [mizzenctl, 'local', 'up', configDir, '--state-dir', stateDir, '--timeout', '120'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
const progress: Timed[] = [];
let runnerOutput = '';
createInterface({ input: runner.stderr! }).on('line', (line) => {
  progress.push({ ms: performance.now() - t0, line });
  runnerOutput += `${line}\n`;
});
const readyLine = new Promise<{ id: string; ms: number }>((resolve, reject) => {
  createInterface({ input: runner.stdout! }).on('line', (line) => {
    runnerOutput += `${line}\n`;
    const ready = /^Mesh (\w+) ready\./.exec(line);
    if (ready) resolve({ id: ready[1], ms: performance.now() - t0 });
  });
  runner.once('exit', (code, signal) => reject(new Error(`mizzenctl local up exited (${signal ?? code}) before the mesh was ready:\n${runnerOutput}`)));
});
readyLine.catch(() => undefined);

let section: string | undefined;
let failure: Error | undefined;
let teardown: { ms: number; left: string[]; code: number | null; output: string } | undefined;
let record: MeshRecord | undefined;
// Stopped early: the runner is stopped too (it cleans up after itself), then torn down below.
const stop = (): void => {
  failure ??= new Error('interrupted');
  runner.kill('SIGTERM');
};
process.once('SIGINT', stop).once('SIGTERM', stop);
try {
  const ready = await readyLine;
  record = loadRecord(meshPaths(stateDir, ready.id));
  const at = (pattern: RegExp): number | undefined => progress.find((p) => pattern.test(p.line))?.ms;
  const phases = { istiod: at(/^starting istiod/), podsStarted: at(/^waiting for \d+ pods/) };
  const sidecarsReady = progress.filter((p) => /^pod \S+: sidecar ready/.test(p.line)).map((p) => p.ms);
  const memoryAtReady = await meshMemory(record, runner.pid!);
  const istiod = `http://${record.gateway}:8080`;
  const proxies = (await syncz(istiod)).length;
  const affected = await proxiesRouting(istiod, reviewsHost);
  const changes: ChangeRound[] = [];
  for (let round = 0; round < rounds && !failure; round++) changes.push(await changeRouting(istiod, affected, round % 2 === 0 ? 'v3' : 'v1'));
  if (failure) throw failure;
  const memoryAfter = await meshMemory(record, runner.pid!);
  teardown = await tearDown(record);
  section = report({ readyMs: ready.ms, phases, sidecarsReady, pods: record.pods.length, proxies, affected: affected.length, memoryAtReady, memoryAfter, changes, teardown });
} catch (error) {
  failure = error as Error;
} finally {
  // Whatever happened, nothing of the mesh stays behind.
  if (!teardown) teardown = await tearDown(record).catch((error: Error) => ({ ms: 0, left: [error.message], code: null, output: '' }));
  await rm(configDir, { recursive: true, force: true });
  if (teardown.left.length === 0 && keptState === undefined) await rm(stateDir, { recursive: true, force: true });
}

if (section) {
  process.stdout.write(section);
  if (values.record) await recordSection(section);
}
if (failure) fail(failure.message);
if (teardown.left.length > 0) fail(`local down left behind:\n  ${teardown.left.join('\n  ')}\n(state in ${stateDir})`);

/** The mesh's folder: Bookinfo's manifests (their commands made absolute, since the copy is
 *  outside the repository), the ingress gateway, and the routing the change rounds start from. */
async function prepareConfig(dir: string): Promise<void> {
  const manifests = join(repoRoot, 'samples/bookinfo/manifests');
  for (const file of await readdir(manifests)) {
    const text = await readFile(join(manifests, file), 'utf8');
    await writeFile(join(dir, file), text.replaceAll('samples/bookinfo/src/', join(repoRoot, 'samples/bookinfo/src/')));
  }
  const networking = join(repoRoot, 'samples/bookinfo/networking');
  for (const file of ['destination-rule-all.yaml', 'bookinfo-gateway.yaml', routingFile]) await writeFile(join(dir, file), await readFile(join(networking, file)));
}

/** Rewrites the routing file with reviews sent to `subset`, as `kubectl apply` of Istio's
 *  virtual-service-reviews-v3.yaml (or all-v1 again) would, and times the acknowledgements. */
async function changeRouting(istiod: string, affected: string[], subset: string): Promise<ChangeRound> {
  const before = new Map((await syncz(istiod)).map((entry) => [entry.proxy, text(entry.route_sent)]));
  const routing = await routingWith(subset);
  const temporary = join(configDir, `.${routingFile}.tmp`);
  await writeFile(temporary, routing);
  const writtenAt = Date.now();
  const start = performance.now();
  // Renamed into place: one complete change, as an API server would see it.
  await rename(temporary, join(configDir, routingFile));
  const expected = `outbound|9080|${subset}|${reviewsHost}`;
  while (performance.now() - start < ackTimeoutMs && !failure) {
    const entries = await syncz(istiod);
    const rejected = entries.find((entry) => Object.keys(entry).some((key) => key.endsWith('_status') && entry[key] === 'NACKED'));
    if (rejected) throw new Error(`proxy ${rejected.proxy} rejected its config: ${JSON.stringify(rejected)}`);
    const acked = affected.every((proxy) => {
      const entry = entries.find((e) => e.proxy === proxy);
      return entry !== undefined && text(entry.route_sent) !== before.get(proxy) && entry.route_acked === entry.route_sent;
    });
    if (acked) {
      const ms = performance.now() - start;
      // An acknowledgement counts once the version it acknowledges routes as the change says
      // (not a push of something else that happened to come first).
      const holding = await Promise.all(affected.map(async (proxy) => (await reviewsClusters(istiod, proxy)).join() === expected));
      if (holding.every(Boolean)) {
        const version = text(entries.find((e) => e.proxy === affected[0])?.route_sent);
        const pushedAt = Date.parse(version.split('/')[0]);
        return { subset, ackMs: ms, pushMs: Number.isNaN(pushedAt) ? undefined : pushedAt - writtenAt };
      }
    }
    await new Promise((resolve) => setTimeout(resolve, pollGapMs));
  }
  throw new Error(`reviews to ${subset}: not acknowledged by every proxy within ${ackTimeoutMs / 1000} s`);
}

/** The routing file with the reviews VirtualService sending everything to `subset`. */
async function routingWith(subset: string): Promise<string> {
  const documents = parseAllDocuments(await readFile(join(repoRoot, 'samples/bookinfo/networking', routingFile), 'utf8'));
  for (const document of documents) {
    if (document.getIn(['kind']) === 'VirtualService' && document.getIn(['metadata', 'name']) === 'reviews') {
      document.setIn(['spec', 'http', 0, 'route', 0, 'destination', 'subset'], subset);
    }
  }
  return documents.map((document) => document.toString()).join('');
}

type SyncEntry = { proxy: string; [field: string]: unknown };

async function syncz(istiod: string): Promise<SyncEntry[]> {
  const response = await fetch(`${istiod}/debug/syncz`);
  if (!response.ok) throw new Error(`istiod ${istiod}/debug/syncz: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as SyncEntry[];
}

/** The connected proxies whose routes (as istiod would send them now) have a virtual host for
 *  `host`: those a change of its VirtualService reaches. */
async function proxiesRouting(istiod: string, host: string): Promise<string[]> {
  const proxies = (await syncz(istiod)).map((entry) => entry.proxy);
  const routing = await Promise.all(proxies.map(async (proxy) => ((await reviewsClusters(istiod, proxy, host)).length > 0 ? proxy : undefined)));
  const found = routing.filter((proxy) => proxy !== undefined);
  if (found.length === 0) throw new Error(`no proxy routes to ${host}; istiod's proxies: ${proxies.join(', ')}`);
  return found;
}

/** The clusters the routes of `host`'s port-9080 virtual host send to, in istiod's current
 *  config for the proxy. */
async function reviewsClusters(istiod: string, proxy: string, host = reviewsHost): Promise<string[]> {
  const response = await fetch(`${istiod}/debug/config_dump?proxyID=${encodeURIComponent(proxy)}`);
  if (!response.ok) throw new Error(`istiod /debug/config_dump for ${proxy}: HTTP ${response.status} ${await response.text()}`);
  const clusters = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (typeof value !== 'object' || value === null) return;
    const object = value as Record<string, unknown>;
    if (object.name === `${host}:9080` && Array.isArray(object.routes)) {
      for (const route of object.routes as { route?: { cluster?: string; weighted_clusters?: { clusters?: { name: string }[] } } }[]) {
        if (route.route?.cluster) clusters.add(route.route.cluster);
        for (const weighted of route.route?.weighted_clusters?.clusters ?? []) clusters.add(weighted.name);
      }
      return;
    }
    Object.values(object).forEach(visit);
  };
  visit(await response.json());
  return [...clusters].sort();
}

/** Every live process of the mesh's process groups (each recorded process leads one), with
 *  its resident set and its proportional share (shared pages split between their users, so
 *  that the total does not count Node's code once per process). */
async function meshMemory(mesh: MeshRecord, runnerPid: number): Promise<GroupMemory[]> {
  const all = await processTable();
  const groups: GroupMemory[] = [{ label: 'runner (mizzenctl local up)', processes: all.filter((p) => p.pid === runnerPid) }];
  for (const recorded of mesh.processes) {
    const members = all.filter((p) => p.pgid === recorded.pid);
    const label = recorded.role === 'istiod' ? 'istiod' : recorded.role === 'agent' ? 'sidecar' : `app ${recorded.container}`;
    groups.push({ label, pod: recorded.pod, processes: members });
  }
  return groups.map((group) => ({ ...group, processes: group.processes.map(({ pid, kind, rssKiB, pssKiB, cpuSeconds }) => ({ pid, kind, rssKiB, pssKiB, cpuSeconds })) }));
}

async function processTable(): Promise<(ProcessMemory & { pgid: number })[]> {
  const table: (ProcessMemory & { pgid: number })[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const [stat, status, rollup, cmdline] = await Promise.all(['stat', 'status', 'smaps_rollup', 'cmdline'].map((file) => readFile(`/proc/${entry}/${file}`, 'utf8').catch(() => '')));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (stat === '' || fields[0] === 'Z') continue;
    const kiB = (source: string, key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(source)?.[1] ?? 0);
    const command = cmdline.replaceAll('\0', ' ');
    const kind = /mizzen-proxy|apps\/proxy\//.test(command) ? 'proxy' : /pilot-agent/.test(command) ? 'agent' : command.split(' ').slice(0, 2).join(' ');
    // utime, stime, cutime, cstime: fields 14 to 17 of stat.
    const ticks = fields.slice(11, 15).reduce((total, field) => total + Number(field), 0);
    table.push({ pid: Number(entry), pgid: Number(fields[2]), kind, rssKiB: kiB(status, 'VmRSS'), pssKiB: kiB(rollup, 'Pss'), cpuSeconds: ticks / clockTicks });
  }
  return table;
}

/** `local down` on the mesh's state folder, timed, then what it left behind. */
async function tearDown(mesh: MeshRecord | undefined): Promise<{ ms: number; left: string[]; code: number | null; output: string }> {
  const start = performance.now();
  const down = await execFileText(process.execPath, [mizzenctl, 'local', 'down', '--state-dir', stateDir]);
  if (runner.exitCode === null && runner.signalCode === null) {
    // A runner still starting (no record yet for `down` to find) is stopped as Ctrl-C would.
    runner.kill('SIGTERM');
    await once(runner, 'exit');
  }
  const ms = performance.now() - start;
  const left = [...(mesh?.subnet && mesh.serviceRange ? await leftovers({ id: mesh.id, podRange: mesh.subnet, serviceRange: mesh.serviceRange }) : []), ...(await processesMentioning(stateDir)).filter((line) => !line.includes('bench/local-mesh.ts'))];
  if (down.code !== 0) left.push(`local down exited ${down.code}: ${down.stderr.trim()}`);
  return { ms, left, code: down.code, output: down.stderr };
}

function report(r: {
  readyMs: number;
  phases: { istiod: number | undefined; podsStarted: number | undefined };
  sidecarsReady: number[];
  pods: number;
  proxies: number;
  affected: number;
  memoryAtReady: GroupMemory[];
  memoryAfter: GroupMemory[];
  changes: ChangeRound[];
  teardown: { ms: number; left: string[] };
}): string {
  const cores = cpus().length;
  const loaded = startLoad[0] > cores;
  const acks = r.changes.map((c) => c.ackMs).sort((a, b) => a - b);
  const p50 = acks[Math.floor((acks.length - 1) / 2)];
  const max = acks[acks.length - 1];
  const lastSidecar = Math.max(...r.sidecarsReady);
  const verdict = (value: number, target: number): string => (value <= target ? 'met' : 'missed');
  const lines = [
    `## Local mesh (Bookinfo) · ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC · ${cores} cores · ${Math.round(totalmem() / 2 ** 30)} GiB · ${machine()} · node ${process.version} · git ${gitRevision()}`,
    '',
    `\`node bench/local-mesh.ts\` (as root): \`mizzenctl local up\` on a copy of \`samples/bookinfo/manifests\` with`,
    '`destination-rule-all.yaml`, `bookinfo-gateway.yaml` and `virtual-service-all-v1.yaml`; then the reviews',
    'VirtualService rewritten on disk (renamed into place) to send everything to v3, then v1, alternately;',
    'then `local down`.',
    cacheWarm ? `The state folder (\`--state-dir\`) held the compile cache of an earlier mesh: a later \`local up\` on this machine.` : 'A fresh state folder: the compile cache starts empty, as on the first `local up` on a machine.',
    `Load average at the start: ${startLoad.map((l) => l.toFixed(2)).join(' ')} on ${cores} cores${loaded ? ': the machine was shared with other work, so these are the times of a loaded machine' : ''}.`,
    '',
    '| measure | result | target | |',
    '| --- | --- | --- | --- |',
    `| \`local up\` to the ready line (${r.pods} pods, every sidecar ready and every app listening) | ${seconds(r.readyMs)} | ≤ 15 s | ${verdict(r.readyMs, targets.readyMs)} |`,
    `| \`local up\` to the last sidecar ready (first: ${seconds(Math.min(...r.sidecarsReady))}) | ${seconds(lastSidecar)} | ≤ 15 s | ${verdict(lastSidecar, targets.readyMs)} |`,
    `| VirtualService change on disk to ACKed by every proxy it reaches (${r.affected} of ${r.proxies}), p50 of ${acks.length} | ${seconds(p50)} | ≤ 1 s | ${verdict(p50, targets.ackMs)} |`,
    `| the same, max | ${seconds(max)} | ≤ 1 s | ${verdict(max, targets.ackMs)} |`,
    `| \`local down\` | ${seconds(r.teardown.ms)}, ${r.teardown.left.length === 0 ? 'nothing left' : `left: ${r.teardown.left.join('; ')}`} | nothing left | ${r.teardown.left.length === 0 ? 'met' : 'missed'} |`,
    '',
    `On the way to ready: istiod started at ${optionalSeconds(r.phases.istiod)}, every pod's namespace, capture rules and containers started by ${optionalSeconds(r.phases.podsStarted)}, sidecars ready from ${seconds(Math.min(...r.sidecarsReady))} to ${seconds(lastSidecar)}. CPU time the mesh's processes had used by the ready line: ${cpuSummary(r.memoryAtReady)}, against ${(r.readyMs / 1000 * cores).toFixed(0)} s of CPU the ${cores} cores offered in that time.`,
    '',
    `Each change, in ms from the rename to the last ACK (in brackets: to the start of istiod's push, from its version stamp): ${r.changes.map((c) => `${c.subset} ${Math.round(c.ackMs)} (${c.pushMs ?? '?'})`).join(', ')}. istiod's /debug/syncz was polled every ${pollGapMs} ms.`,
    '',
    'Memory in MiB (RSS, and PSS: shared pages split between the processes sharing them, so PSS adds up). At the ready line, and after the changes:',
    '',
    '```',
    ...memoryTable(r.memoryAtReady, r.memoryAfter),
    '```',
    '',
  ];
  return `${lines.join('\n')}\n`;
}

function memoryTable(atReady: GroupMemory[], after: GroupMemory[]): string[] {
  const sum = (groups: GroupMemory[], key: 'rssKiB' | 'pssKiB', pick: (p: ProcessMemory) => boolean = () => true): number =>
    groups.reduce((total, g) => total + g.processes.filter(pick).reduce((t, p) => t + p[key], 0), 0);
  const mib = (kiB: number): string => (kiB / 1024).toFixed(1);
  const rows: string[][] = [['', 'RSS ready', 'PSS ready', 'RSS after', 'PSS after']];
  const row = (label: string, a: GroupMemory[], b: GroupMemory[], pick?: (p: ProcessMemory) => boolean): void => {
    rows.push([label, mib(sum(a, 'rssKiB', pick)), mib(sum(a, 'pssKiB', pick)), mib(sum(b, 'rssKiB', pick)), mib(sum(b, 'pssKiB', pick))]);
  };
  const same = (g: GroupMemory) => (h: GroupMemory) => h.label === g.label && h.pod === g.pod;
  row('whole mesh', atReady, after);
  for (const group of atReady.filter((g) => g.label === 'istiod' || g.label.startsWith('runner'))) row(group.label, [group], after.filter(same(group)));
  const sidecars = atReady.filter((g) => g.label === 'sidecar');
  const sidecarsAfter = after.filter((g) => g.label === 'sidecar');
  row(`${sidecars.length} sidecars (agent + proxy)`, sidecars, sidecarsAfter);
  row('  of which agents', sidecars, sidecarsAfter, (p) => p.kind === 'agent');
  row('  of which proxies', sidecars, sidecarsAfter, (p) => p.kind === 'proxy');
  for (const group of sidecars) {
    const kinds = group.processes.map((p) => p.kind).join(' + ');
    row(`  ${group.pod} (${kinds})`, [group], after.filter(same(group)));
  }
  const apps = atReady.filter((g) => g.label.startsWith('app '));
  row(`${apps.length} apps`, apps, after.filter((g) => g.label.startsWith('app ')));
  const width = rows.reduce((w, r) => Math.max(w, r[0].length), 0);
  return rows.map((r) => [r[0].padEnd(width), ...r.slice(1).map((cell) => cell.padStart(10))].join(' '));
}

function optionalSeconds(ms: number | undefined): string {
  return ms === undefined ? '?' : seconds(ms);
}

/** CPU seconds by part of the mesh: the total, then istiod, the sidecars, the apps and the
 *  runner (with what it ran to completion: init containers, ip and iptables). */
function cpuSummary(groups: GroupMemory[]): string {
  const cpu = (pick: (g: GroupMemory) => boolean): string => groups.filter(pick).reduce((t, g) => t + g.processes.reduce((u, p) => u + p.cpuSeconds, 0), 0).toFixed(1);
  return `${cpu(() => true)} s (istiod ${cpu((g) => g.label === 'istiod')}, sidecars ${cpu((g) => g.label === 'sidecar')}, apps ${cpu((g) => g.label.startsWith('app '))}, runner ${cpu((g) => g.label.startsWith('runner'))})`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function gitRevision(): string {
  try {
    return execFileSync('git', ['-C', repoRoot, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return '?';
  }
}

/** Puts the section above the newest result in BENCHMARKS.md (newest first), below its intro. */
async function recordSection(markdown: string): Promise<void> {
  const file = join(repoRoot, 'BENCHMARKS.md');
  const current = await readFile(file, 'utf8');
  const at = current.search(/^## /m);
  const next = at < 0 ? `${current.trimEnd()}\n\n${markdown}` : `${current.slice(0, at)}${markdown}\n${current.slice(at)}`;
  await writeFile(file, next);
  process.stderr.write(`recorded in ${file}\n`);
}

function fail(message: string): never {
  process.stderr.write(`local-mesh bench: ${message}\n`);
  process.exit(1);
}
