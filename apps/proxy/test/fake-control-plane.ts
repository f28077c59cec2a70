// A control plane of one ADS stream for proxy tests, over @mizzen/xds's server.
import { AdsServer, type JsonObject } from '@mizzen/xds';

/** Answers subscriptions from `resources` and records subscriptions, ACKs and NACKs. */
export class FakeControlPlane {
  readonly server: AdsServer;
  readonly resources = new Map<string, { version: string; list: JsonObject[] }>();
  readonly acks: { typeUrl: string; version: string }[] = [];
  readonly nacks: { typeUrl: string; version: string; error: string }[] = [];
  /** The names last subscribed to, by type URL. */
  readonly subscribed = new Map<string, string[]>();
  stream = '';
  private waiters: (() => void)[] = [];

  constructor() {
    this.server = new AdsServer({
      onStreamOpen: (s) => (this.stream = s.id),
      onSubscribe: (id, typeUrl, names) => {
        this.record(() => this.subscribed.set(typeUrl, names));
        this.send(id, typeUrl, names);
      },
      onAck: (_id, typeUrl, version) => this.record(() => this.acks.push({ typeUrl, version })),
      onNack: (_id, typeUrl, version, _nonce, error) => this.record(() => this.nacks.push({ typeUrl, version, error })),
      onStreamClose: () => {},
    });
  }

  private send(id: string, typeUrl: string, names: string[]): void {
    const entry = this.resources.get(typeUrl);
    if (!entry) return;
    const named = (r: JsonObject) => (r.name ?? r.cluster_name) as string;
    const list = names.length === 0 ? entry.list : entry.list.filter((r) => names.includes(named(r)));
    this.server.push(id, typeUrl, list, entry.version);
  }

  private record(fn: () => void): void {
    fn();
    for (const w of this.waiters.splice(0)) w();
  }

  /** Replaces a type's resources and pushes them to the open stream. */
  update(typeUrl: string, version: string, list: JsonObject[]): void {
    this.resources.set(typeUrl, { version, list });
    if (this.stream) this.server.push(this.stream, typeUrl, list, version);
  }

  async until(check: () => boolean): Promise<void> {
    while (!check()) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
}
