import { stringify } from 'yaml';
import type { AnalysisMessage } from './analysis-message.ts';

export type Format = 'text' | 'json' | 'yaml';

/** `(VirtualService default/reviews file.yaml:12)`: the resource and where it was read. */
function origin(m: AnalysisMessage): string {
  const place = m.file === undefined ? '' : `${m.file}:${m.line}`;
  const resource = m.kind === '' ? '' : `${m.kind} ${m.namespace}/${m.name}`;
  return [resource, place].filter(Boolean).join(' ');
}

function documentationUrl(code: string): string {
  return code.startsWith('IST') ? `https://istio.io/latest/docs/reference/config/analysis/${code.toLowerCase()}` : '';
}

/** The report as istioctl prints it; `scope` is "namespace: default" or "all namespaces". */
export function formatMessages(messages: readonly AnalysisMessage[], format: Format, scope: string): string {
  if (format === 'text') {
    if (messages.length === 0) return `✔ No validation issues found when analyzing ${scope}.\n`;
    return messages.map((m) => `${m.level} [${m.code}] (${origin(m)}) ${m.text}\n`).join('');
  }
  const records = messages.map((m) => ({ code: m.code, level: m.level, message: m.text, origin: origin(m), reference: m.file === undefined ? undefined : `${m.file}:${m.line}`, documentationUrl: documentationUrl(m.code) || undefined }));
  return format === 'json' ? JSON.stringify(records, null, 2) + '\n' : stringify(records);
}
