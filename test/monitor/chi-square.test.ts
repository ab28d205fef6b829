import { describe, expect, it } from 'vitest';
import { chiSquareSurvival, regularizedUpperGamma } from '../../src/monitor/chi-square.js';
import { gTest } from '../../src/monitor/g-test.js';

describe('chiSquareSurvival', () => {
  it('matches the critical values of chi-square tables', () => {
    // (statistic, degrees of freedom, upper-tail probability), from standard tables.
    const table: [number, number, number][] = [
      [3.841, 1, 0.05],
      [10.828, 1, 0.001],
      [5.991, 2, 0.05],
      [13.816, 2, 0.001],
      [9.488, 4, 0.05],
      [18.467, 4, 0.001],
      [29.588, 10, 0.001],
      [124.342, 100, 0.05],
    ];
    for (const [x, df, p] of table) expect(chiSquareSurvival(x, df)).toBeCloseTo(p, 4);
  });

  it('is exp(-x/2) for two degrees of freedom, far into the tail', () => {
    for (const x of [0.5, 2, 10, 50, 200]) expect(chiSquareSurvival(x, 2) / Math.exp(-x / 2)).toBeCloseTo(1, 9);
  });

  it('is 1 at 0 and falls monotonically to 0', () => {
    expect(chiSquareSurvival(0, 4)).toBe(1);
    let previous = 1;
    for (let x = 0.25; x < 80; x += 0.25) {
      const p = chiSquareSurvival(x, 4);
      expect(p).toBeLessThanOrEqual(previous);
      previous = p;
    }
    expect(chiSquareSurvival(Infinity, 4)).toBe(0);
  });

  it('agrees with Q(a, x) on both sides of the series/continued-fraction switch at x = a + 1', () => {
    // Q(1, x) = exp(-x) exactly; Q(3, x) = exp(-x)(1 + x + x²/2).
    for (const x of [0.1, 1.9, 2, 2.1, 7]) {
      expect(regularizedUpperGamma(1, x)).toBeCloseTo(Math.exp(-x), 12);
      expect(regularizedUpperGamma(3, x)).toBeCloseTo(Math.exp(-x) * (1 + x + (x * x) / 2), 12);
    }
  });
});

describe('gTest', () => {
  it('finds no evidence against shares that are met exactly', () => {
    const result = gTest([200, 200, 200, 200, 200], [0.2, 0.2, 0.2, 0.2, 0.2]);
    expect(result).toEqual({ gStatistic: 0, degreesOfFreedom: 4, pValue: 1 });
  });

  it('computes G = 2 Σ O ln(O/E) with k - 1 degrees of freedom', () => {
    const result = gTest([60, 40], [0.5, 0.5])!;
    expect(result.gStatistic).toBeCloseTo(2 * (60 * Math.log(60 / 50) + 40 * Math.log(40 / 50)), 10);
    expect(result.degreesOfFreedom).toBe(1);
    expect(result.pValue).toBeCloseTo(chiSquareSurvival(result.gStatistic, 1), 12);
  });

  it("rejects the postmortem's two of five carrying 80% with p far below 0.001", () => {
    expect(gTest([2400, 2400, 400, 400, 400], [1, 1, 1, 1, 1])!.pValue).toBeLessThan(1e-100);
  });

  it('gives p = 0 when a backend expected to get nothing got requests, without dividing by zero', () => {
    expect(gTest([10, 100, 100], [0, 0.5, 0.5])).toEqual({ gStatistic: Infinity, degreesOfFreedom: 1, pValue: 0 });
  });

  it('has nothing to test with fewer than two possible backends or no requests', () => {
    expect(gTest([100, 0], [1, 0])).toBeUndefined();
    expect(gTest([0, 0], [0.5, 0.5])).toBeUndefined();
  });
});
