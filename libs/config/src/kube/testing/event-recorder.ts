import type { ConfigEvent, ConfigStore } from '../../config-store.ts';

/** Records a store's events as "add Service default/a" lines, and waits for the ones a test
 *  expects instead of sleeping. */
export class EventRecorder {
  readonly lines: string[] = [];
  #waiters = new Set<() => void>();

  constructor(store: ConfigStore) {
    store.subscribe((event) => {
      this.lines.push(describeEvent(event));
      for (const waiter of [...this.#waiters]) waiter();
    });
  }

  /** Resolves once the recorded lines include every one given (each as often as given). */
  until(...expected: string[]): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        const left = [...this.lines];
        const missing = expected.filter((line) => {
          const at = left.indexOf(line);
          if (at === -1) return true;
          left.splice(at, 1);
          return false;
        });
        if (missing.length > 0) return;
        this.#waiters.delete(check);
        resolve();
      };
      this.#waiters.add(check);
      check();
    });
  }

  /** Forgets what was recorded so far. */
  clear(): void {
    this.lines.length = 0;
  }
}

function describeEvent(event: ConfigEvent): string {
  const { kind, metadata } = event.object;
  return `${event.type} ${kind} ${metadata.namespace ? `${metadata.namespace}/` : ''}${metadata.name}`;
}
