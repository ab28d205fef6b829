import type { TrafficRuleConfig } from '../config/index.js';

// The node's total request rate has a baseline of its own: an exponentially weighted moving average
// (EWMA) with a half-life, updated at every evaluation with the elapsed time, so its memory is the
// same whatever the interval. A spike or a drop is then the rate against that baseline, and a skew
// can be told apart from "there is simply more traffic".
//
// Warmup: the baseline is the plain mean of the rates seen during `warmup`, counted from the first
// evaluation that saw traffic (a node that starts idle does not average its idle seconds in and then
// report its first real traffic as a spike); readings taken while the rate's own window was still
// filling (the first `window` of traffic) are left out of that mean, as they understate the rate.
// Until then there is no baseline and no traffic alert.
//
// A sustained spike must not be learnt before it has held for `for`: with the default half-life
// (10 m) a 3x step moves the baseline by 1 − 2^(−10 s / 10 m) ≈ 1.2% of the gap in 10 s. And while
// the rate is outside the band (above spike_ratio or below drop_ratio times the baseline) the
// baseline learns OUTSIDE_BAND_SLOWDOWN times slower still, so even a half-life as short as `for`
// moves it by less than 7% of the gap within `for`. A new level that lasts does become the normal
// (after about 0.4 × OUTSIDE_BAND_SLOWDOWN half-lives for a 3x step), and its alert then resolves.

/** While the rate is outside the band, the baseline's half-life is this many times longer. */
export const OUTSIDE_BAND_SLOWDOWN = 10;

export class TrafficBaseline {
  private warmupStartMs: number | undefined;
  private warmupSum = 0;
  private warmupReadings = 0;
  private baseline: number | undefined;
  private lastMs: number | undefined;
  private latestRps = 0;

  /** The latest rate and the baseline it was judged against (undefined while warming up). */
  current(): { rps: number; baselineRps: number | undefined } {
    return { rps: this.latestRps, baselineRps: this.baseline };
  }

  /**
   * Feeds the rate measured at `nowMs` and returns the baseline it should be judged against: the
   * one before this reading (undefined during warmup), so a spike is never compared with itself.
   */
  update(rps: number, nowMs: number, config: TrafficRuleConfig): number | undefined {
    this.latestRps = rps;
    const before = this.baseline;
    const elapsedMs = this.lastMs === undefined ? 0 : Math.max(0, nowMs - this.lastMs);
    this.lastMs = nowMs;
    if (before === undefined) {
      if (this.warmupStartMs === undefined) {
        if (rps <= 0) return undefined;
        this.warmupStartMs = nowMs;
      }
      const sinceStartMs = nowMs - this.warmupStartMs;
      if (sinceStartMs >= config.window || config.window >= config.warmup) {
        this.warmupSum += rps;
        this.warmupReadings++;
      }
      if (sinceStartMs >= config.warmup && this.warmupReadings > 0) this.baseline = this.warmupSum / this.warmupReadings;
      return undefined;
    }
    const isOutsideBand = rps > config.spike_ratio * before || rps < config.drop_ratio * before;
    const halfLifeMs = config.baseline_half_life * (isOutsideBand ? OUTSIDE_BAND_SLOWDOWN : 1);
    const learning = 1 - 2 ** (-elapsedMs / halfLifeMs);
    this.baseline = before + learning * (rps - before);
    return before;
  }
}
