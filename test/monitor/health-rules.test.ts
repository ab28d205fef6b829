import { describe, expect, it } from 'vitest';
import { ofRule, RulesBench, split } from './rules-bench.js';

const EVEN = [1, 1, 1, 1, 1];

describe('the error rule', () => {
  it('fires for a backend whose 5xx and upstream failures pass max_error_rate, and for its pool', () => {
    const bench = new RulesBench();
    let findings = bench.second(split(200, EVEN));
    for (let s = 0; s < 10; s++) {
      const start = bench.nowMs;
      for (let k = 0; k < 40; k++) {
        bench.nowMs = start + k * 25;
        for (const backend of bench.members.backends) bench.request(backend, { status: backend.id === 'web-2' && k % 2 === 0 ? 502 : 200 });
      }
      bench.nowMs = start + 999;
      findings = bench.evaluate();
      bench.nowMs = start + 1000;
    }
    const errors = ofRule(findings, 'errors');
    expect(errors.map((finding) => finding.backend)).toEqual(['web-2', undefined]);
    expect(errors[0]).toMatchObject({ severity: 'critical', pool: 'portal', forMs: 10_000 });
    expect(errors[0].evidence.errorRate).toBeCloseTo(200 / 440, 2);
    expect(errors[0].summary).toMatch(/^web-2: 45% of 440 requests failed with 5xx or upstream errors over the last 30 s \(limit 5%\)\.$/);
  });

  it("counts requests the pool answered without a backend (no healthy backend, queue full) in the pool's rate", () => {
    const bench = new RulesBench();
    bench.second(split(100, EVEN));
    for (let i = 0; i < 30; i++) bench.telemetry.recordProxyError('portal', 'EK_NO_HEALTHY_BACKEND');
    // Client mistakes are not the pool's failures.
    for (let i = 0; i < 500; i++) bench.telemetry.recordProxyError('portal', 'EK_BAD_REQUEST');
    const pool = ofRule(bench.second(split(100, EVEN)), 'errors');
    expect(pool).toHaveLength(1);
    expect(pool[0].backend).toBeUndefined();
    expect(pool[0].evidence).toMatchObject({ errors: 30, requests: 230, unserved: 30 });
  });

  it('forgets pool failures once they leave the window', () => {
    const bench = new RulesBench();
    bench.second(split(100, EVEN));
    for (let i = 0; i < 30; i++) bench.telemetry.recordProxyError('portal', 'EK_QUEUE_FULL');
    let findings = bench.second(split(100, EVEN));
    expect(ofRule(findings, 'errors')).toHaveLength(1);
    for (let s = 0; s < 31; s++) findings = bench.second(split(100, EVEN));
    expect(ofRule(findings, 'errors')).toEqual([]);
  });

  it('stays quiet at a 2% error rate, the healthy twin', () => {
    const bench = new RulesBench();
    let findings = bench.second(split(200, EVEN));
    for (let s = 0; s < 30; s++) {
      const start = bench.nowMs;
      for (let k = 0; k < 50; k++) {
        bench.nowMs = start + k * 20;
        for (const backend of bench.members.backends) bench.request(backend, { status: k === 0 ? 503 : 200 });
      }
      bench.nowMs = start + 999;
      findings = bench.evaluate();
      bench.nowMs = start + 1000;
    }
    expect(findings).toEqual([]);
  });
});

describe('the capacity rule', () => {
  it('fires when fewer than min_healthy_backends are healthy and in service, naming the ones out', () => {
    const bench = new RulesBench({ weights: [100, 100, 100] });
    bench.backend('web-1').isHealthy = false;
    bench.backend('web-2').isDraining = true;
    const capacity = ofRule(bench.evaluate(), 'capacity');
    expect(capacity).toHaveLength(1);
    expect(capacity[0]).toMatchObject({ severity: 'critical', pool: 'portal', backend: undefined, backends: ['web-1', 'web-2'], forMs: 5000 });
    expect(capacity[0].summary).toBe('pool portal: 1 of 3 backends healthy and in service (minimum 2), holding 33% of its weight (minimum 50%).');
  });

  it('fires when the healthy backends hold under min_healthy_weight_share of the weight, though enough of them are up', () => {
    const bench = new RulesBench({ weights: [400, 400, 100, 100, 100] });
    bench.backend('web-1').isHealthy = false;
    bench.backend('web-2').isHealthy = false;
    expect(ofRule(bench.evaluate(), 'capacity')[0].evidence).toMatchObject({ healthyBackends: 3, healthyWeightShare: 0.2727 });
  });

  it('stays quiet with one of five down, and for a pool that has a single backend', () => {
    const bench = new RulesBench();
    bench.backend('web-4').isHealthy = false;
    expect(bench.evaluate()).toEqual([]);
    expect(new RulesBench({ weights: [100] }).evaluate()).toEqual([]);
  });
});

describe('the flapping rule', () => {
  /** One evaluation a second for `seconds`; `fall` says in which seconds the backend goes down. */
  function run(bench: RulesBench, id: string, seconds: number, fall: (second: number) => boolean) {
    let findings = bench.evaluate();
    for (let s = 1; s <= seconds; s++) {
      bench.nowMs += 1000;
      if (fall(s)) bench.backend(id).healthDowns++;
      findings = bench.evaluate();
    }
    return ofRule(findings, 'flapping');
  }

  it('fires for a backend that went down max_downs times within the window, naming it', () => {
    const bench = new RulesBench();
    const flapping = run(bench, 'web-4', 20, (s) => s % 6 === 0);
    expect(flapping).toHaveLength(1);
    expect(flapping[0]).toMatchObject({ severity: 'warning', pool: 'portal', backend: 'web-4', backends: ['web-4'], forMs: 0 });
    expect(flapping[0].evidence).toMatchObject({ downs: 3, maxDowns: 3, windowSeconds: 300 });
    expect(flapping[0].summary).toMatch(/^web-4 of pool portal went down 3 times in the last 5m \(healthy right now\): it keeps failing and recovering/);
  });

  it('counts falls faster than the evaluation interval, and several in one second', () => {
    const bench = new RulesBench();
    bench.evaluate();
    bench.nowMs += 1000;
    bench.backend('web-2').healthDowns += 3;
    expect(ofRule(bench.evaluate(), 'flapping').map((finding) => finding.backend)).toEqual(['web-2']);
  });

  it('stays quiet for two falls in the window, and for falls spread wider than the window', () => {
    const two = new RulesBench();
    expect(run(two, 'web-1', 100, (s) => s === 10 || s === 60)).toEqual([]);
    const spread = new RulesBench({ monitor: { flapping: { window: '30s' } } });
    expect(run(spread, 'web-1', 120, (s) => s % 20 === 0)).toEqual([]);
  });

  it('resolves once the falls leave the window', () => {
    const bench = new RulesBench({ monitor: { flapping: { window: '30s', max_downs: 2 } } });
    expect(run(bench, 'web-3', 10, (s) => s === 2 || s === 5)).toHaveLength(1);
    expect(run(bench, 'web-3', 40, () => false)).toEqual([]);
  });

  it('counts from zero again when the backend was removed and added back between two evaluations', () => {
    const bench = new RulesBench();
    bench.backend('web-1').healthDowns = 7;
    run(bench, 'web-1', 5, () => false);
    bench.backend('web-1').healthDowns = 0;
    expect(run(bench, 'web-1', 20, (s) => s % 5 === 0)).toHaveLength(1);
  });

  it('does not count the falls before the monitor first looked', () => {
    const bench = new RulesBench();
    bench.backend('web-1').healthDowns = 7;
    expect(ofRule(bench.evaluate(), 'flapping')).toEqual([]);
  });
});
