// Events a loopback test waits on: each awaited event is matched once, in the order they came,
// so a test reads as the conversation it expects without sleeping.
export class EventLog<Event extends { kind: string }> {
  readonly #events: Event[] = [];
  #waiters: { match: (e: Event) => boolean; resolve: (e: Event) => void }[] = [];
  #cursor = 0;

  add(event: Event): void {
    this.#events.push(event);
    this.#wake();
  }

  /** The next event of a kind (and matching `where`) after the last one matched. */
  next<K extends Event['kind']>(kind: K, where: (e: Extract<Event, { kind: K }>) => boolean = () => true): Promise<Extract<Event, { kind: K }>> {
    return new Promise((resolve) => {
      this.#waiters.push({ match: (e) => e.kind === kind && where(e as Extract<Event, { kind: K }>), resolve: resolve as (e: Event) => void });
      this.#wake();
    });
  }

  #wake(): void {
    this.#waiters = this.#waiters.filter((waiter) => {
      for (let i = this.#cursor; i < this.#events.length; i++) {
        const event = this.#events[i]!;
        if (waiter.match(event)) {
          this.#cursor = i + 1;
          waiter.resolve(event);
          return false;
        }
      }
      return true;
    });
  }
}
