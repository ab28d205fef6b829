import { describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS, simulate } from '../../bench/balance.js';

// A small run of bench/balance.ts: 1,000 Zipf-active sessions, 5 backends, 200 requests in flight.
const SMALL = { ...DEFAULT_OPTIONS, sessions: 1_000, steps: 400 };

describe('sticky sessions under Zipf activity', () => {
  it('bounded-load persistence keeps the busiest backend at or under c = 1.25 times the mean in-flight load', () => {
    const result = simulate('bounded-persistence', SMALL);
    expect(result.peakMaxOverMean).toBeLessThanOrEqual(1.25);
    expect(result.pinnedShare).toBeGreaterThan(0.5);
  });

  it('bounded-load persistence with c = 1.1 keeps max/mean at or under 1.1', () => {
    const result = simulate('bounded-persistence', { ...SMALL, boundFactor: 1.1 });
    expect(result.peakMaxOverMean).toBeLessThanOrEqual(1.1);
  });

  it('plain consistent hashing of the same traffic goes above c, which is why the bound exists', () => {
    expect(simulate('consistent-hash', SMALL).peakMaxOverMean).toBeGreaterThan(1.25);
  });
});
