import { describe, expect, it } from 'vitest';
import { ofRule, RulesBench, split } from './rules-bench.js';

const EVEN = [1, 1, 1, 1, 1];

function run(bench: RulesBench, seconds: number, rps: number) {
  const perSecond = [];
  for (let s = 0; s < seconds; s++) perSecond.push(bench.second(split(rps, EVEN)));
  return perSecond;
}

describe('the traffic rules', () => {
  it('report a 3x even spike as a traffic spike and not as a skew', () => {
    const bench = new RulesBench();
    expect(run(bench, 120, 200).flat()).toEqual([]);
    const spike = run(bench, 30, 600);
    const first = spike.findIndex((findings) => ofRule(findings, 'traffic_spike').length > 0);
    expect(first).toBeGreaterThanOrEqual(4);
    expect(first).toBeLessThanOrEqual(7);
    const finding = ofRule(spike[29], 'traffic_spike')[0];
    expect(finding).toMatchObject({ severity: 'warning', pool: undefined, backend: undefined, forMs: 10_000 });
    // The baseline learns a spike ten times slower than its half-life: 30 s of 3x moves it by 1%.
    expect(finding.summary).toMatch(/^Traffic spike: 600 rps, 3x the baseline of 20[0-3] rps\.$/);
    expect(finding.evidence.rps).toBe(600);
    expect(finding.evidence.baselineRps).toBeCloseTo(201, -1);
    expect(spike.flat().filter((f) => f.rule !== 'traffic_spike')).toEqual([]);
  });

  it('does not learn a sustained spike within its for time: it still fires after a minute', () => {
    const bench = new RulesBench();
    run(bench, 120, 200);
    const spike = run(bench, 60, 600);
    expect(ofRule(spike.at(-1)!, 'traffic_spike')).toHaveLength(1);
    const { rps, baselineRps } = bench.state.traffic();
    expect(rps).toBe(600);
    expect(baselineRps!).toBeLessThan(205);
  });

  it('reports a drop below half the baseline', () => {
    const bench = new RulesBench();
    run(bench, 120, 200);
    const drop = ofRule(run(bench, 20, 60).at(-1)!, 'traffic_drop')[0];
    expect(drop.summary).toMatch(/^Traffic drop: 60 rps, 30% of the baseline of (199|200) rps\.$/);
  });

  it('says nothing while the baseline warms up, and RuleState.traffic() has no baseline until then', () => {
    const bench = new RulesBench();
    const warmup = [...run(bench, 30, 200), ...run(bench, 25, 700)];
    expect(ofRule(warmup.flat(), 'traffic_spike')).toEqual([]);
    expect(bench.state.traffic().baselineRps).toBeUndefined();
    run(bench, 10, 200);
    expect(bench.state.traffic().baselineRps).toBeGreaterThan(200);
  });

  it('starts warming up at the first traffic, so a node that started idle does not call its first traffic a spike', () => {
    const bench = new RulesBench();
    run(bench, 50, 0);
    expect(run(bench, 180, 200).flat()).toEqual([]);
  });

  it('ignores baselines under min_rps', () => {
    const bench = new RulesBench({ monitor: { traffic: { min_rps: 10 } } });
    run(bench, 120, 4);
    expect(ofRule(run(bench, 20, 40).flat(), 'traffic_spike')).toEqual([]);
  });
});
