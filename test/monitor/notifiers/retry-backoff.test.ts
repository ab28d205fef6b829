import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { retryDelayMs, type RetryPolicy } from '../../../src/monitor/notifiers/retry-backoff.js';

const policy = (random: () => number): RetryPolicy => ({ maxAttempts: 10, baseDelayMs: 1000, maxDelayMs: 30_000, random });

describe('retry backoff', () => {
  it('waits 1 s, 2 s, 4 s, 8 s ... capped at 30 s without jitter in the middle of its range', () => {
    const middle = policy(() => 0.5);
    expect([1, 2, 3, 4, 5, 6, 7].map((failed) => retryDelayMs(failed, middle))).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
  });

  it('spreads every delay within ±25% of its step', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (failed, random) => {
        const step = Math.min(30_000, 1000 * 2 ** (failed - 1));
        const delay = retryDelayMs(failed, policy(() => random));
        return delay >= Math.floor(step * 0.75) && delay <= Math.ceil(step * 1.25);
      }),
    );
  });

  it("honours a receiver's Retry-After up to the cap", () => {
    expect(retryDelayMs(1, policy(() => 0.5), 5000)).toBe(5000);
    expect(retryDelayMs(1, policy(() => 0.5), 120_000)).toBe(30_000);
    expect(retryDelayMs(3, policy(() => 0.5), 100)).toBe(4000);
  });
});
