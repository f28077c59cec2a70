/**
 * Summarises a V8 CPU profile (.cpuprofile, as `node --cpu-prof` writes it): where the busy
 * time went, by function (self time) and by part (our filters and proxy, Node's internals,
 * system calls made from JavaScript, the garbage collector).
 *
 *   node bench/profile-summary.ts FILE [--top N]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface CallFrame { functionName: string; url: string; lineNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame }
interface Profile { nodes: ProfileNode[]; samples: number[] }

const { positionals, values } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '30' } } });
if (positionals.length !== 1) throw new Error('usage: profile-summary.ts FILE [--top N]');
const profile = JSON.parse(readFileSync(positionals[0], 'utf8')) as Profile;
const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));

function where(f: CallFrame): string {
  const file = f.url.replace(/^file:\/\/.*?\/(apps|libs|node_modules)\//, '$1/');
  return `${f.functionName || '(anonymous)'} ${file}${file ? `:${f.lineNumber + 1}` : ''}`;
}

function part(f: CallFrame): string {
  if (f.url.includes('/libs/filters/')) return 'libs/filters';
  if (f.url.includes('/apps/proxy/')) return 'apps/proxy';
  if (f.url.startsWith('node:')) return "Node's JavaScript internals";
  if (f.url === '' && f.functionName.startsWith('(')) return f.functionName;
  if (f.url === '') return `native ${f.functionName}`;
  return 'other JavaScript (dependencies, startup)';
}

const self = new Map<string, number>();
const parts = new Map<string, number>();
let busy = 0;
for (const id of profile.samples) {
  const frame = frames.get(id) as CallFrame;
  if (frame.functionName === '(idle)') continue;
  busy++;
  self.set(where(frame), (self.get(where(frame)) ?? 0) + 1);
  parts.set(part(frame), (parts.get(part(frame)) ?? 0) + 1);
}

function print(title: string, map: Map<string, number>, n: number): void {
  console.log(title);
  for (const [key, count] of [...map].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`${((100 * count) / busy).toFixed(1).padStart(6)}%  ${key}`);
}

console.log(`${busy} busy samples of ${profile.samples.length} (the rest idle); shares of the busy time:`);
print('by part:', parts, 12);
print(`top ${values.top} functions by self time:`, self, Number(values.top));
