import { describe, expect, it } from 'vitest';
import { ofRule, RulesBench } from './rules-bench.js';

/** One second with 40 requests per backend; backend i answers in latenciesMs[i]. */
function second(bench: RulesBench, latenciesMs: readonly number[]) {
  const start = bench.nowMs;
  for (let k = 0; k < 40; k++) {
    bench.nowMs = start + k * 25;
    latenciesMs.forEach((latencyMs, i) => bench.request(bench.members.backends[i], { latencyMs }));
  }
  bench.nowMs = start + 999;
  const findings = bench.evaluate();
  bench.nowMs = start + 1000;
  return findings;
}

function run(bench: RulesBench, seconds: number, latenciesMs: readonly number[]) {
  let findings = second(bench, latenciesMs);
  for (let s = 1; s < seconds; s++) findings = second(bench, latenciesMs);
  return findings;
}

describe('the latency rules', () => {
  it('fire relative latency for one backend much slower than its peers, though under the absolute limits', () => {
    const findings = run(new RulesBench(), 10, [8, 8, 80, 8, 8]);
    const relative = ofRule(findings, 'relative_latency');
    expect(relative).toHaveLength(1);
    expect(relative[0]).toMatchObject({ severity: 'warning', pool: 'portal', backend: 'web-3', backends: ['web-3'], forMs: 10_000 });
    expect(relative[0].summary).toMatch(/^web-3 p95 is \d+ ms, \d+(\.\d)?x the median of its peers \(\d+ ms\) over the last 30 s\.$/);
    expect(relative[0].evidence.p95Ms).toBeGreaterThan(50);
    expect(ofRule(findings, 'latency')).toEqual([]);
  });

  it('stay quiet when every backend is equally fast, or when the slow one is slow by under relative_min_ms', () => {
    expect(run(new RulesBench(), 10, [8, 8, 8, 8, 8])).toEqual([]);
    // 20 ms against 2 ms is 10x, but below the 50 ms floor: no alert.
    expect(ofRule(run(new RulesBench(), 10, [2, 2, 20, 2, 2]), 'relative_latency')).toEqual([]);
  });

  it('fire absolute latency for a backend and for its pool when p95 passes p95_ms', () => {
    const findings = run(new RulesBench(), 5, [900, 900, 900, 900, 900]);
    const latency = ofRule(findings, 'latency');
    expect(latency.map((finding) => finding.backend)).toEqual(['web-1', 'web-2', 'web-3', 'web-4', 'web-5', undefined]);
    const pool = latency.at(-1)!;
    expect(pool.summary).toMatch(/^pool portal: p95 is \d+ ms \(limit 500 ms\), p99 \d+ ms over the last 30 s\.$/);
    expect(pool.evidence).toMatchObject({ p95LimitMs: 500, requests: 1000 });
    expect(ofRule(findings, 'relative_latency')).toEqual([]);
  });

  it("judges the pool's p99 on the pool's own histogram, not on its backends' quantiles", () => {
    // One backend at 3 s is 20% of the pool's requests: above the pool's p99 limit, and it is the only one.
    const findings = run(new RulesBench(), 5, [5, 5, 3000, 5, 5]);
    const latency = ofRule(findings, 'latency');
    expect(latency.map((finding) => finding.backend)).toEqual(['web-3', undefined]);
    expect(latency[1].evidence.p99Ms).toBeGreaterThan(1000);
  });

  it('need min_requests before judging a backend', () => {
    const bench = new RulesBench();
    bench.request(bench.backend('web-1'), { latencyMs: 5000 });
    bench.nowMs += 999;
    expect(bench.evaluate()).toEqual([]);
  });
});
