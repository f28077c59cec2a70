/** Gathers a burst of config changes into one push: the push runs once no change has come for
 *  `quietMs`, or `maxDelayMs` after the first change of the burst, whichever is sooner. */
export class PushQueue {
  #timer: NodeJS.Timeout | undefined;
  #firstChangeAt: number | undefined;
  #closed = false;
  readonly #push: () => void;
  readonly #quietMs: number;
  readonly #maxDelayMs: number;

  constructor(push: () => void, options: { quietMs?: number; maxDelayMs?: number } = {}) {
    this.#push = push;
    this.#quietMs = options.quietMs ?? 100;
    this.#maxDelayMs = options.maxDelayMs ?? 1000;
  }

  /** Notes a change. */
  enqueue(): void {
    if (this.#closed) return;
    const now = Date.now();
    this.#firstChangeAt ??= now;
    clearTimeout(this.#timer);
    const delay = Math.min(this.#quietMs, this.#firstChangeAt + this.#maxDelayMs - now);
    this.#timer = setTimeout(() => this.#flush(), Math.max(0, delay));
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  #flush(): void {
    this.#firstChangeAt = undefined;
    this.#timer = undefined;
    this.#push();
  }
}
