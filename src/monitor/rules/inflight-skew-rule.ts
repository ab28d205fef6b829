import type { SkewRuleConfig } from '../../config/index.js';
import type { RuleFinding } from '../alert.js';
import { joinNames, percent, ratio, wholeNumber } from '../finding-text.js';
import { rounded, type PoolView } from './pool-view.js';

// In-flight skew: each backend's average in-flight requests over the skew window (one sample per
// evaluation, inflight-history.ts) against its expected share of the pool's average in-flight load.
// Sticky sessions can skew work without skewing request counts: a backend that holds the slow
// sessions gets its fair number of requests but several times its share of concurrent work.
// No significance test here: in-flight counts are not independent draws. The ratio (default 2, above
// the 1.25 that bounded-load persistence allows) and `min_inflight` (below it one long request is
// already a large share) keep it quiet on healthy traffic. Backends expected to get nothing are not
// judged: a draining backend finishing its requests is doing what it should.

export function evaluateInflightSkew(
  pool: PoolView,
  config: SkewRuleConfig,
  averageInflight: ReadonlyMap<string, number>,
  samples: number,
): RuleFinding | undefined {
  let poolInflight = 0;
  for (const inflight of averageInflight.values()) poolInflight += inflight;
  if (samples === 0 || poolInflight <= 0 || poolInflight < config.min_inflight) return undefined;
  const overloaded: string[] = [];
  for (const backend of pool.members.backends) {
    const share = pool.expected.get(backend.id) ?? 0;
    if (share <= 0) continue;
    if ((averageInflight.get(backend.id) ?? 0) > config.inflight_ratio * share * poolInflight) overloaded.push(backend.id);
  }
  if (overloaded.length === 0) return undefined;
  overloaded.sort((a, b) => (averageInflight.get(b) ?? 0) - (averageInflight.get(a) ?? 0));
  let listedInflight = 0;
  let listedExpected = 0;
  for (const id of overloaded) {
    listedInflight += averageInflight.get(id) ?? 0;
    listedExpected += pool.expected.get(id) ?? 0;
  }
  const observedShare = listedInflight / poolInflight;
  const evidence: Record<string, number | string> = {
    observedShare: rounded(observedShare),
    expectedShare: rounded(listedExpected),
    poolInflight: rounded(poolInflight, 1),
    ratio: rounded(listedExpected > 0 ? observedShare / listedExpected : 0, 2),
    samples,
    persistence: pool.config.persistence.by,
  };
  for (const backend of pool.members.backends) {
    evidence[`inflight.${backend.id}`] = rounded(averageInflight.get(backend.id) ?? 0, 1);
    evidence[`expected.${backend.id}`] = rounded(pool.expected.get(backend.id) ?? 0);
  }
  const verb = overloaded.length === 1 ? 'holds' : 'hold';
  return {
    rule: 'inflight_skew',
    severity: 'critical',
    pool: pool.name,
    backend: undefined,
    backends: overloaded,
    summary:
      `${joinNames(overloaded)} ${verb} ${percent(observedShare)} of in-flight requests ` +
      `(${wholeNumber(listedInflight)} of ${wholeNumber(poolInflight)} on average), expected ${percent(listedExpected)} (${ratio(observedShare / listedExpected)}x).`,
    evidence,
    forMs: config.for,
  };
}
