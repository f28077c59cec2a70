import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PushQueue } from './push-queue.ts';

describe('PushQueue', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('pushes once after a burst has been quiet for the debounce time', () => {
    let pushes = 0;
    const queue = new PushQueue(() => pushes++, { quietMs: 100, maxDelayMs: 1000 });
    queue.enqueue();
    vi.advanceTimersByTime(60);
    queue.enqueue();
    vi.advanceTimersByTime(60);
    expect(pushes).toBe(0);
    vi.advanceTimersByTime(40);
    expect(pushes).toBe(1);
    vi.advanceTimersByTime(1000);
    expect(pushes).toBe(1);
  });

  it('does not wait past the maximum delay under a steady stream of changes', () => {
    let pushes = 0;
    const queue = new PushQueue(() => pushes++, { quietMs: 100, maxDelayMs: 300 });
    for (let t = 0; t < 350; t += 50) {
      queue.enqueue();
      vi.advanceTimersByTime(50);
    }
    expect(pushes).toBe(1);
  });

  it('pushes nothing once closed', () => {
    let pushes = 0;
    const queue = new PushQueue(() => pushes++);
    queue.enqueue();
    queue.close();
    queue.enqueue();
    vi.runAllTimers();
    expect(pushes).toBe(0);
  });
});
