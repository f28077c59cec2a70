/** A user's config that cannot be used, with where it came from and what is wrong. */
export class ConfigError extends Error {
  readonly file?: string;
  readonly documentIndex?: number;
  /** "Service default/reviews" */
  readonly resource?: string;
  /** "spec.ports[0].port" */
  readonly field?: string;
  readonly reason: string;

  constructor(details: { file?: string; documentIndex?: number; resource?: string; field?: string; reason: string }) {
    super(formatConfigError(details));
    this.name = 'ConfigError';
    this.file = details.file;
    this.documentIndex = details.documentIndex;
    this.resource = details.resource;
    this.field = details.field;
    this.reason = details.reason;
  }

  /** The same error, placed in a file and document. */
  at(file: string, documentIndex: number): ConfigError {
    return new ConfigError({ file, documentIndex, resource: this.resource, field: this.field, reason: this.reason });
  }
}

function formatConfigError(d: { file?: string; documentIndex?: number; resource?: string; field?: string; reason: string }): string {
  const parts: string[] = [];
  if (d.file !== undefined) parts.push(d.documentIndex !== undefined ? `${d.file} (document ${d.documentIndex})` : d.file);
  if (d.resource) parts.push(d.resource);
  if (d.field) parts.push(d.field);
  parts.push(d.reason);
  return parts.join(': ');
}
