import type { SkewRuleConfig } from '../../config/index.js';
import type { BackendWindow } from '../../telemetry/index.js';
import type { RuleFinding } from '../alert.js';
import { joinNames, percent } from '../finding-text.js';
import { gTest } from '../g-test.js';
import { steadySeconds } from '../expectation-history.js';
import { windowSeconds } from '../rule-window.js';
import { rounded, type PoolView } from './pool-view.js';

// Distribution skew: the requests each backend got over the window against its expected share.
//
// Two conditions, both required:
// - significance: the G-test rejects the expected shares at `alpha`: the deviation is not chance;
// - an effect floor: some backend gets more than `max_share_ratio` times its share, or the busiest
//   `top_fraction` of backends carry more than `max_top_share` while expected to carry less.
// The test alone is useless on real traffic: sticky sessions of Zipf-distributed activity make
// request counts far more dispersed than a multinomial, so with thousands of requests it rejects a
// healthy pool at any alpha. The floor alone fires on noise when the pool is quiet (200 requests over
// 5 backends). Bounded-load persistence (persistence.bound, default 1.25) keeps a healthy sticky pool
// under 1.25x its share of in-flight load, so a floor of 1.5 sits above what healthy traffic does and
// below the postmortem (2x: two of five carrying 80%).
//
// A backend expected to get nothing (unhealthy, draining, removed) that still got requests in the
// window makes the test's p 0 (the expectation is certainly not what happened) but has no ratio: its
// requests count in the top share only. The window restarts when the expected shares change
// materially (a weight change, a drain, a health verdict: expectation-history.ts), so traffic the old
// weights produced is never judged against the new ones.
//
// Two windows are judged: `window` and its most recent third (RECENT_WINDOW_DIVISOR). A skew that
// starts now fills a 30 s window only slowly: the postmortem's 2x crosses the 1.5x floor of the full
// window after 15 s, and of its last 10 s after 5 s, which with `for` (3 s) detects it in 8 s at
// 200 rps. The recent window needs `min_requests` of its own, so on a quiet pool only the full
// window speaks. When both hold, the recent one is reported: it says what the traffic looks like now.

/** The recent window is the configured one divided by this (rounded up to whole seconds). */
export const RECENT_WINDOW_DIVISOR = 3;

export function evaluateSkew(pool: PoolView, config: SkewRuleConfig): RuleFinding | undefined {
  const fullSeconds = windowSeconds(config.window);
  // Only traffic sent under the current expectation is judged (expectation-history.ts).
  const seconds = steadySeconds(fullSeconds, pool.expectedSinceMs, pool.nowMs);
  if (seconds === 0) return undefined;
  const recentSeconds = Math.ceil(fullSeconds / RECENT_WINDOW_DIVISOR);
  const recent = recentSeconds < seconds ? evaluateSkewOver(pool, config, recentSeconds) : undefined;
  return recent ?? evaluateSkewOver(pool, config, seconds);
}

function evaluateSkewOver(pool: PoolView, config: SkewRuleConfig, seconds: number): RuleFinding | undefined {
  const windows = pool.window(seconds);
  const byId = new Map<string, BackendWindow>(windows.map((window) => [window.id, window]));
  const ids = pool.backendIds(windows);
  const counts = ids.map((id) => byId.get(id)?.requests ?? 0);
  const shares = ids.map((id) => pool.expected.get(id) ?? 0);
  let requests = 0;
  for (const count of counts) requests += count;
  if (requests === 0 || requests < config.min_requests) return undefined;
  const test = gTest(counts, shares);
  if (test === undefined || !(test.pValue < config.alpha)) return undefined;

  const observedShare = (i: number) => counts[i] / requests;
  const overRatio: number[] = [];
  let selectable = 0;
  for (let i = 0; i < ids.length; i++) {
    if (shares[i] <= 0) continue;
    selectable++;
    if (observedShare(i) > config.max_share_ratio * shares[i]) overRatio.push(i);
  }
  const busiestFirst = ids.map((_, i) => i).sort((a, b) => counts[b] - counts[a] || a - b);
  const top = busiestFirst.slice(0, Math.max(1, Math.ceil(config.top_fraction * selectable)));
  const topObserved = sum(top.map(observedShare));
  const topExpected = sum(top.map((i) => shares[i]));
  const isTopHeavy = topObserved > config.max_top_share && topExpected < config.max_top_share;
  if (overRatio.length === 0 && !isTopHeavy) return undefined;

  const listed = (overRatio.length > 0 ? overRatio : top.filter((i) => observedShare(i) > shares[i])).sort((a, b) => counts[b] - counts[a] || a - b);
  const listedObserved = sum(listed.map(observedShare));
  const listedExpected = sum(listed.map((i) => shares[i]));
  const listedRequests = sum(listed.map((i) => counts[i]));
  const listedPinned = sum(listed.map((i) => byId.get(ids[i])?.pinned ?? 0));
  const names = listed.map((i) => ids[i]);
  const evidence: Record<string, number | string> = {
    observedShare: rounded(listedObserved),
    expectedShare: rounded(listedExpected),
    pinnedShare: rounded(listedRequests > 0 ? listedPinned / listedRequests : 0),
    persistence: pool.config.persistence.by,
    requests,
    pValue: test.pValue,
    gStatistic: Number.isFinite(test.gStatistic) ? rounded(test.gStatistic, 2) : 'infinite',
    topShare: rounded(topObserved),
    topExpectedShare: rounded(topExpected),
    windowSeconds: seconds,
  };
  for (let i = 0; i < ids.length; i++) {
    evidence[`observed.${ids[i]}`] = rounded(observedShare(i));
    evidence[`expected.${ids[i]}`] = rounded(shares[i]);
  }
  const verb = names.length === 1 ? 'carries' : 'carry';
  return {
    rule: 'skew',
    severity: 'critical',
    pool: pool.name,
    backend: undefined,
    backends: names,
    summary: `${joinNames(names)} ${verb} ${percent(listedObserved)} of requests, expected ${percent(listedExpected)}.`,
    evidence,
    forMs: config.for,
  };
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}
