import { chiSquareSurvival } from './chi-square.js';

// The G-test of goodness of fit (the log-likelihood ratio test; Sokal & Rohlf, Biometry, §17.1), as
// A/B-testing tools run it to catch a sample-ratio mismatch: do these counts look like draws from
// these shares? G = 2 Σ O ln(O / E) is asymptotically chi-square with k − 1 degrees of freedom.
//
// It answers only "is this more than chance?", never "does it matter?": with thousands of requests a
// 1% deviation is significant, and sticky traffic (sessions of very unequal activity) is far more
// dispersed than a multinomial, so the test alone rejects healthy pools. The skew rule therefore
// pairs it with an effect floor (skew-rule.ts).

export interface GTestResult {
  readonly gStatistic: number;
  readonly degreesOfFreedom: number;
  /** 0 when a category expected to get nothing got something: the shares are then certainly wrong. */
  readonly pValue: number;
}

/**
 * Tests `observed` counts against `expectedShares` (same order; shares need not sum to exactly 1,
 * they are normalised). Categories with an expected share of 0 add no degree of freedom; any count
 * in one makes G infinite and p 0. Returns undefined when fewer than two categories can receive
 * anything or nothing was observed: there is nothing to test.
 */
export function gTest(observed: readonly number[], expectedShares: readonly number[]): GTestResult | undefined {
  let total = 0;
  let shareSum = 0;
  let possible = 0;
  for (let i = 0; i < observed.length; i++) {
    total += observed[i];
    shareSum += expectedShares[i];
    if (expectedShares[i] > 0) possible++;
  }
  if (total <= 0 || shareSum <= 0 || possible < 2) return undefined;
  const degreesOfFreedom = possible - 1;
  let g = 0;
  for (let i = 0; i < observed.length; i++) {
    const count = observed[i];
    if (count <= 0) continue;
    const expected = (total * expectedShares[i]) / shareSum;
    if (expected <= 0) return { gStatistic: Infinity, degreesOfFreedom, pValue: 0 };
    g += count * Math.log(count / expected);
  }
  const gStatistic = Math.max(0, 2 * g);
  return { gStatistic, degreesOfFreedom, pValue: chiSquareSurvival(gStatistic, degreesOfFreedom) };
}
