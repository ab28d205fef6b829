import { describe, expect, it } from 'vitest';
import { ALERT_RULES } from '../../src/monitor/alert.js';
import { evaluateRules, RuleState } from '../../src/monitor/index.js';
import { RulesBench, split } from './rules-bench.js';

describe('evaluateRules', () => {
  it('finds nothing for a healthy pool without traffic', () => {
    const bench = new RulesBench();
    for (let s = 0; s < 90; s++) expect(bench.second([0, 0, 0, 0, 0])).toEqual([]);
    expect(bench.state.traffic()).toEqual({ rps: 0, baselineRps: undefined });
  });

  it('finds nothing when monitoring is turned off, however wrong the traffic', () => {
    const bench = new RulesBench({ monitor: { enabled: false } });
    bench.backend('web-1').isHealthy = false;
    bench.backend('web-2').isHealthy = false;
    bench.backend('web-3').isHealthy = false;
    for (let s = 0; s < 30; s++) expect(bench.second(split(200, [1, 0, 0, 0, 0]))).toEqual([]);
  });

  it('produces only findings of known rules, each with a summary and a for duration from the config', () => {
    const bench = new RulesBench({ monitor: { skew: { for: '7s' } } });
    let findings = bench.second(split(200, [1, 1, 1, 1, 1]));
    for (let s = 0; s < 20; s++) findings = bench.second(split(200, [1, 0, 0, 0, 0]), { status: 500 });
    expect(findings.length).toBeGreaterThan(0);
    for (const finding of findings) {
      expect(ALERT_RULES).toContain(finding.rule);
      expect(finding.summary.length).toBeGreaterThan(10);
      expect(finding.forMs).toBeGreaterThan(0);
    }
    expect(findings.find((finding) => finding.rule === 'skew')?.forMs).toBe(7000);
  });

  it('reads in-flight counts through inflightOf, as a cluster primary sums its workers', () => {
    const bench = new RulesBench();
    const state = new RuleState();
    const asked: string[] = [];
    evaluateRules(
      { telemetry: bench.telemetry, pools: [{ members: bench.members, config: bench.poolConfig }], inflightOf: (pool, backend) => (asked.push(`${pool}/${backend.id}`), 0) },
      bench.monitor,
      state,
      bench.nowMs,
    );
    expect(asked).toEqual(['portal/web-1', 'portal/web-2', 'portal/web-3', 'portal/web-4', 'portal/web-5']);
  });
});
