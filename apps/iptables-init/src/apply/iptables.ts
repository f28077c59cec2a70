import { spawn } from 'node:child_process';
import type { Rule } from '../rules/rule.ts';

/** The iptables tools of one address family. */
export interface FamilyTools {
  name: 'IPv4' | 'IPv6';
  iptables: string;
  save: string;
  restore: string;
}

export const IPV4_TOOLS: FamilyTools = { name: 'IPv4', iptables: 'iptables', save: 'iptables-save', restore: 'iptables-restore' };
export const IPV6_TOOLS: FamilyTools = { name: 'IPv6', iptables: 'ip6tables', save: 'ip6tables-save', restore: 'ip6tables-restore' };

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command, optionally feeding it stdin; resolves with its exit code and output. */
export function run(command: string, args: string[], input?: string): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (error) => resolve({ code: null, stdout, stderr: `${command}: ${error.message}` }));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.on('error', () => {}); // the child may exit before reading; its exit code tells why
    child.stdin.end(input ?? '');
  });
}

export async function saveRules(tools: FamilyTools): Promise<string> {
  const result = await run(tools.save, []);
  if (result.code !== 0) throw new Error(`${tools.save} failed: ${result.stderr.trim()}`);
  return result.stdout;
}

/** Applies an iptables-restore script without flushing other rules; each table is one
 *  transaction, so a bad line leaves that table as it was. */
export async function restoreRules(tools: FamilyTools, script: string): Promise<void> {
  const result = await run(tools.restore, ['--noflush'], script);
  if (result.code !== 0) throw new Error(`${tools.restore} --noflush failed: ${result.stderr.trim()}\n--- input ---\n${script}`);
}

/** Whether a rule exists already (iptables -C). */
export async function ruleExists(tools: FamilyTools, rule: Rule): Promise<boolean> {
  const result = await run(tools.iptables, ['-w', '-t', rule.table, '-C', rule.chain, ...rule.args]);
  return result.code === 0;
}

/** Whether the family's tools are installed and its tables reachable. */
export async function toolsAvailable(tools: FamilyTools): Promise<boolean> {
  return (await run(tools.save, [])).code === 0;
}

