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
