/**
 * Summarises a V8 heap snapshot (.heapsnapshot, as `--heapsnapshot-signal` writes it): the
 * heap by kind of node, and the constructors, strings and code holding the most bytes.
 *
 *   node bench/heap-summary.ts FILE [--top N]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

const { positionals, values } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '15' } } });
if (positionals.length !== 1) throw new Error('usage: heap-summary.ts FILE [--top N]');
const top = Number(values.top);
const snap = JSON.parse(readFileSync(positionals[0], 'utf8')) as Snapshot;
const fields = snap.snapshot.meta.node_fields;
const types = snap.snapshot.meta.node_types[0];
const width = fields.length;
const typeAt = fields.indexOf('type');
const nameAt = fields.indexOf('name');
const sizeAt = fields.indexOf('self_size');

const byType = new Map<string, { bytes: number; count: number }>();
const byName = new Map<string, { bytes: number; count: number }>();
let total = 0;
for (let i = 0; i < snap.nodes.length; i += width) {
  const type = types[snap.nodes[i + typeAt]];
  const size = snap.nodes[i + sizeAt];
  total += size;
  add(byType, type, size);
  // Objects and closures by constructor; strings, code and arrays as one line each.
  const name = type === 'object' || type === 'closure' ? `${type} ${snap.strings[snap.nodes[i + nameAt]]}` : type === 'native' ? `native ${snap.strings[snap.nodes[i + nameAt]].slice(0, 60)}` : type;
  add(byName, name, size);
}

function add(map: Map<string, { bytes: number; count: number }>, key: string, size: number): void {
  const entry = map.get(key);
  if (entry) {
    entry.bytes += size;
    entry.count++;
  } else map.set(key, { bytes: size, count: 1 });
}

function mb(bytes: number): string {
  return (bytes / 1048576).toFixed(1).padStart(7);
}

function print(title: string, map: Map<string, { bytes: number; count: number }>, n: number): void {
  console.log(title);
  for (const [key, { bytes, count }] of [...map].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, n)) {
    console.log(`${mb(bytes)} MB ${String(count).padStart(9)}  ${key}`);
  }
}

console.log(`${mb(total)} MB in ${snap.nodes.length / width} heap nodes (self sizes)`);
print('by kind:', byType, types.length);
print(`top ${top} by constructor:`, byName, top);
