import { describe, expect, it } from 'vitest';
import { ofRule, RulesBench, split } from './rules-bench.js';

const EVEN = [1, 1, 1, 1, 1];

describe('the in-flight skew rule', () => {
  it('fires when one backend holds far more than its share of in-flight requests although request counts are even', () => {
    const bench = new RulesBench();
    let findings = bench.second(split(200, EVEN));
    for (let s = 0; s < 10; s++) {
      for (const [id, inflight] of [['web-1', 60], ['web-2', 10], ['web-3', 10], ['web-4', 10], ['web-5', 10]] as const) bench.inflight.set(id, inflight);
      findings = bench.second(split(200, EVEN));
    }
    expect(ofRule(findings, 'skew')).toEqual([]);
    const skew = ofRule(findings, 'inflight_skew');
    expect(skew).toHaveLength(1);
    expect(skew[0]).toMatchObject({ severity: 'critical', pool: 'portal', backend: undefined, backends: ['web-1'], forMs: 3000 });
    // The first sample (all at 0) is in the average too: web-1 600 / 11 ≈ 54.5 of 1000 / 11 ≈ 90.9.
    expect(skew[0].summary).toBe('web-1 holds 60% of in-flight requests (55 of 91 on average), expected 20% (3x).');
    expect(skew[0].evidence['inflight.web-1']).toBeCloseTo(54.5, 1);
  });

  it('stays quiet when in-flight load follows the weights, or the pool averages under min_inflight', () => {
    const even = new RulesBench();
    for (const backend of even.members.backends) even.inflight.set(backend.id, 12);
    let findings = even.second(split(200, EVEN));
    for (let s = 0; s < 10; s++) findings = even.second(split(200, EVEN));
    expect(findings).toEqual([]);

    const quiet = new RulesBench();
    quiet.inflight.set('web-1', 15);
    for (let s = 0; s < 10; s++) findings = quiet.second(split(200, EVEN));
    expect(findings).toEqual([]);
  });

  it('does not judge a draining backend that is finishing its requests', () => {
    const bench = new RulesBench();
    bench.backend('web-1').isDraining = true;
    bench.members.touch();
    for (const [id, inflight] of [['web-1', 50], ['web-2', 10], ['web-3', 10], ['web-4', 10], ['web-5', 10]] as const) bench.inflight.set(id, inflight);
    let findings = bench.second(split(200, [0, 1, 1, 1, 1]));
    for (let s = 0; s < 5; s++) findings = bench.second(split(200, [0, 1, 1, 1, 1]));
    expect(ofRule(findings, 'inflight_skew')).toEqual([]);
  });
});

describe('the persistence concentration rule', () => {
  function sampled(bench: RulesBench, seconds: number, keyOf: (n: number) => number) {
    let findings = bench.evaluate();
    let n = 0;
    for (let s = 0; s < seconds; s++) {
      const start = bench.nowMs;
      for (let k = 0; k < 100; k++) {
        bench.nowMs = start + k * 10;
        const key = keyOf(n++);
        bench.request(bench.members.backends[key % 5], { keyHash: key, isPinned: true });
      }
      bench.nowMs = start + 999;
      findings = bench.evaluate();
      bench.nowMs = start + 1000;
    }
    return findings;
  }

  it('fires when the busiest keys carry more than max_top_keys_share of requests', () => {
    const bench = new RulesBench({ pool: { persistence: { by: 'cookie' } } });
    // Keys 0..2 carry 60% of the requests; the rest is spread over 5,000 keys.
    const findings = sampled(bench, 10, (n) => (n % 5 < 3 ? n % 5 : 5 + (n % 5000)));
    const concentration = ofRule(findings, 'persistence_concentration');
    expect(concentration).toHaveLength(1);
    expect(concentration[0]).toMatchObject({ severity: 'warning', pool: 'portal', backend: undefined, forMs: 30_000 });
    expect(concentration[0].evidence).toMatchObject({ pinnedShare: 1, persistence: 'cookie', requests: 1000 });
    expect(concentration[0].evidence.topKeysShare).toBeCloseTo(0.602, 2);
    expect(concentration[0].summary).toMatch(/^pool portal: the 5 busiest cookie keys carry 60% of sampled requests \(limit 50%\); 100% of requests are pinned\.$/);
  });

  it('judges the newest sampled requests of a busy pool when the counted windows lag (a fleet leader reads 6 s back)', () => {
    const bench = new RulesBench({ pool: { persistence: { by: 'cookie' } } });
    // 6,000 requests a second: the sample (10,000 picks) holds the last 1.7 s only.
    const start = bench.nowMs;
    for (let n = 0; n < 30_000; n++) {
      bench.nowMs = start + Math.floor(n / 6);
      const key = n % 5 < 3 ? n % 5 : 5 + (n % 5000);
      bench.request(bench.members.backends[key % 5], { keyHash: key, isPinned: true });
    }
    const concentration = ofRule(bench.evaluate(6000), 'persistence_concentration');
    expect(concentration).toHaveLength(1);
    expect(concentration[0].evidence).toMatchObject({ requests: 10_000 });
    expect(concentration[0].evidence.topKeysShare).toBeCloseTo(0.6, 2);
  });

  it('stays quiet when activity is spread over many keys, and for a pool that keys on nothing', () => {
    const spread = new RulesBench({ pool: { persistence: { by: 'cookie' } } });
    expect(ofRule(sampled(spread, 10, (n) => n % 2000), 'persistence_concentration')).toEqual([]);
    const keyless = new RulesBench();
    expect(ofRule(sampled(keyless, 10, (n) => n % 3), 'persistence_concentration')).toEqual([]);
  });
});
