import { describe, expect, it } from 'vitest';
import { ofRule, RulesBench, seededRandom, split } from './rules-bench.js';

const EVEN = [1, 1, 1, 1, 1];
/** The postmortem: two of five equal backends carry 80% of the traffic. */
const POSTMORTEM = [0.4, 0.4, 0.2 / 3, 0.2 / 3, 0.2 / 3];

/** Runs `seconds` of traffic at `rps` with `shares`; returns the findings of every second. */
function run(bench: RulesBench, seconds: number, rps: number, shares: readonly number[]) {
  const perSecond = [];
  for (let s = 0; s < seconds; s++) perSecond.push(bench.second(split(rps, shares)));
  return perSecond;
}

describe('the skew rule', () => {
  it("fires on the postmortem (two of five equal backends carrying 80% at 200 rps) within seconds, naming them", () => {
    const bench = new RulesBench();
    expect(run(bench, 60, 200, EVEN).flat()).toEqual([]);
    const afterChange = run(bench, 30, 200, POSTMORTEM);
    const first = afterChange.findIndex((findings) => ofRule(findings, 'skew').length > 0);
    // The recent third of the window (10 s) crosses the 1.5x floor after 5 s of skewed traffic.
    expect(first).toBeGreaterThanOrEqual(0);
    expect(first).toBeLessThanOrEqual(6);
    const skew = ofRule(afterChange[29], 'skew')[0];
    expect(skew).toMatchObject({ severity: 'critical', pool: 'portal', backend: undefined, backends: ['web-1', 'web-2'], forMs: 3000 });
    expect(skew.summary).toBe('web-1 and web-2 carry 80% of requests, expected 40%.');
    expect(skew.evidence).toMatchObject({ observedShare: 0.8, expectedShare: 0.4, persistence: 'none', 'observed.web-1': 0.4, 'expected.web-3': 0.2 });
    expect(skew.evidence.pValue).toBeLessThan(1e-10);
    expect(skew.evidence.requests).toBeGreaterThanOrEqual(2000);
  });

  it('fires when two of five carry 70%, and lists the busier first', () => {
    const bench = new RulesBench();
    run(bench, 30, 200, EVEN);
    const findings = run(bench, 30, 200, [0.34, 0.36, 0.1, 0.1, 0.1]).at(-1)!;
    const skew = ofRule(findings, 'skew')[0];
    expect(skew.backends).toEqual(['web-2', 'web-1']);
    expect(skew.summary).toBe('web-2 and web-1 carry 70% of requests, expected 40%.');
  });

  it('stays quiet when two of five carry 60%: 1.5x its share is the floor, and this is exactly at it', () => {
    const bench = new RulesBench();
    expect(ofRule(run(bench, 60, 200, [0.3, 0.3, 0.4 / 3, 0.4 / 3, 0.4 / 3]).flat(), 'skew')).toEqual([]);
  });

  it('compares against effective weights, so traffic that follows a 4:1:1:1:1 weighting is no skew', () => {
    const bench = new RulesBench({ weights: [400, 100, 100, 100, 100] });
    expect(run(bench, 40, 400, [4, 1, 1, 1, 1]).flat()).toEqual([]);
  });

  it('judges only traffic sent since the weights changed, so a legitimate 4x weight change under load is no skew', () => {
    const bench = new RulesBench();
    expect(run(bench, 60, 250, EVEN).flat()).toEqual([]);
    for (const id of ['web-1', 'web-2']) {
      const backend = bench.backend(id);
      backend.weight = 400;
      backend.effectiveWeight = 400;
    }
    bench.members.touch();
    // Traffic follows the new weights at once; the window still holds 30 s of the even split.
    const after = run(bench, 40, 250, [4, 4, 1, 1, 1]).flat();
    expect(ofRule(after, 'skew')).toEqual([]);
    expect(ofRule(after, 'inflight_skew')).toEqual([]);
  });

  it('still sees a skew that starts right after a weight change', () => {
    const bench = new RulesBench();
    run(bench, 60, 250, EVEN);
    bench.backend('web-5').effectiveWeight = 0;
    bench.backend('web-5').isDraining = true;
    bench.members.touch();
    // Four backends left, expected 25% each; two of them carry 80%.
    const after = run(bench, 15, 250, [0.4, 0.4, 0.1, 0.1, 0]);
    const first = after.findIndex((findings) => ofRule(findings, 'skew').length > 0);
    expect(first).toBeGreaterThanOrEqual(0);
    expect(first).toBeLessThanOrEqual(6);
    expect(ofRule(after.at(-1)!, 'skew')[0].summary).toBe('web-1 and web-2 carry 80% of requests, expected 50%.');
  });

  it('needs min_requests in the window before judging', () => {
    const bench = new RulesBench();
    // 5 rps for 30 s is 150 requests, below the default 200, however skewed.
    expect(ofRule(run(bench, 30, 5, [1, 0, 0, 0, 0]).flat(), 'skew')).toEqual([]);
    // At 10 rps the window reaches 200 requests and the same skew is judged.
    expect(ofRule(run(bench, 20, 10, [1, 0, 0, 0, 0]).flat(), 'skew').length).toBeGreaterThan(0);
  });

  it('never fires on multinomial noise around exact weights, over many seeds and request rates', () => {
    let judged = 0;
    for (let seed = 1; seed <= 120; seed++) {
      const random = seededRandom(seed);
      const weights = [100, 100, 200, 50, 300].slice(0, 2 + (seed % 4));
      const bench = new RulesBench({ weights });
      const total = weights.reduce((a, b) => a + b, 0);
      const cumulative = weights.map((_, i) => weights.slice(0, i + 1).reduce((a, b) => a + b, 0) / total);
      const rps = [7, 20, 60, 200, 600][seed % 5];
      for (let s = 0; s < 45; s++) {
        const counts = weights.map(() => 0);
        for (let r = 0; r < rps; r++) {
          const u = random();
          counts[cumulative.findIndex((edge) => u < edge)]++;
        }
        const findings = bench.second(counts);
        expect(ofRule(findings, 'skew'), `seed ${seed}, second ${s}`).toEqual([]);
        judged++;
      }
    }
    expect(judged).toBe(120 * 45);
  });

  it('treats an unhealthy backend as expected to get nothing, and its leftover requests as evidence, not a division by zero', () => {
    const bench = new RulesBench();
    run(bench, 30, 200, EVEN);
    const web5 = bench.backend('web-5');
    web5.isHealthy = false;
    web5.effectiveWeight = 0;
    bench.members.touch();
    // The balancer moves web-5's share to the other four: no alert while its old requests age out.
    const afterFailure = run(bench, 40, 200, [1, 1, 1, 1, 0]);
    expect(ofRule(afterFailure.flat(), 'skew')).toEqual([]);
    // If web-5 still got most of the traffic while unhealthy, that would be a skew.
    const stuck = run(bench, 15, 200, [0.1, 0.1, 0.1, 0.1, 0.6]).at(-1)!;
    const skew = ofRule(stuck, 'skew')[0];
    expect(skew.backends).toContain('web-5');
    expect(skew.evidence['expected.web-5']).toBe(0);
    expect(skew.evidence.pValue).toBe(0);
  });

  it('reports how much of the skewed backends traffic was pinned by persistence', () => {
    const bench = new RulesBench({ pool: { persistence: { by: 'cookie' } } });
    for (let s = 0; s < 30; s++) {
      const counts = split(200, POSTMORTEM);
      for (let i = 0; i < 5; i++) for (let k = 0; k < counts[i]; k++) bench.request(bench.members.backends[i], { isPinned: i < 2 ? k % 4 !== 0 : false });
      bench.nowMs += 1000;
    }
    bench.nowMs -= 1;
    const skew = ofRule(bench.evaluate(), 'skew')[0];
    expect(skew.evidence.persistence).toBe('cookie');
    expect(skew.evidence.pinnedShare).toBeCloseTo(0.75, 2);
  });
});
