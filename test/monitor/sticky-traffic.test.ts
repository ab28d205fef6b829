import { describe, expect, it } from 'vitest';
import { createPicker, release, acquire, type BackendState, type PickOutcome, type PickRequest } from '../../src/balance/index.js';
import type { RuleFinding } from '../../src/monitor/alert.js';
import { gTest } from '../../src/monitor/g-test.js';
import { RulesBench, seededRandom } from './rules-bench.js';

// Healthy sticky traffic must not look like a skew. Sessions pinned by the real bounded-load
// persistence (header key, stick table, Maglev, c = 1.25), session activity Zipf-distributed (s = 1:
// the busiest of 500 sessions sends 15% of all requests), Poisson arrivals at 200 rps, and two
// latency profiles: pages (50 ms plus an exponential tail of mean 100 ms, some 30 in flight) and a
// fast API (2 ms plus 3 ms, about one in flight). Request counts of such traffic are more dispersed
// than a multinomial: with fast responses the G-test rejects most windows, and only the effect floor
// keeps the rule quiet.

interface StickyRun {
  findings: RuleFinding[];
  /** Evaluations in which the G-test alone (p < alpha) rejected the expected shares. */
  rejectedByTest: number;
  evaluations: number;
  /** Highest observed / expected request share of any backend over any full window. */
  peakShareRatio: number;
}

/** Latency of a request: a floor plus an exponential tail. */
interface LatencyProfile {
  baseMs: number;
  meanExtraMs: number;
}

function runStickyTraffic(seed: number, sessions: number, seconds: number, rps: number, latency: LatencyProfile): StickyRun {
  const bench = new RulesBench({ pool: { persistence: { by: 'header', name: 'x-session' } } });
  const random = seededRandom(seed);
  const picker = createPicker(bench.poolConfig, bench.members, { cookieSecret: 'not-used-by-header-persistence', now: () => bench.nowMs, random });
  const cumulative: number[] = [];
  let sum = 0;
  for (let k = 1; k <= sessions; k++) cumulative.push((sum += 1 / k));
  const sessionOf = () => {
    const target = random() * sum;
    let low = 0;
    let high = sessions - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (cumulative[middle] > target) high = middle;
      else low = middle + 1;
    }
    return low;
  };
  const headers: Record<string, string> = {};
  const request: PickRequest = { sourceIp: '198.51.100.7', path: '/', headers };
  const outcome: PickOutcome = { isPinned: false, isSpilled: false, setCookie: undefined };
  // Requests finishing at each millisecond, in a ring longer than the longest latency.
  const ringMs = 2048;
  const finishing: { backend: BackendState; latencyMs: number; isPinned: boolean; isSpilled: boolean }[][] = Array.from({ length: ringMs }, () => []);
  const start = bench.nowMs;
  let nextArrivalMs = start;
  const findings: RuleFinding[] = [];
  let rejectedByTest = 0;
  let evaluations = 0;
  let peakShareRatio = 0;
  for (let t = start; t < start + seconds * 1000; t++) {
    bench.nowMs = t;
    const done = finishing[t % ringMs];
    for (const finished of done) {
      release(bench.members, finished.backend);
      bench.telemetry.recordRequest(finished.backend, 200, finished.latencyMs, 300, 20_000, finished.isPinned, finished.isSpilled);
    }
    done.length = 0;
    while (nextArrivalMs <= t) {
      nextArrivalMs += -Math.log(1 - random()) * (1000 / rps);
      const session = sessionOf();
      headers['x-session'] = `session-${session}`;
      outcome.isPinned = false;
      outcome.isSpilled = false;
      const backend = picker.pick(request, outcome, undefined)!;
      acquire(bench.members, backend);
      bench.telemetry.recordPick('portal', t, session, backend.id, backend.inflight, outcome.isPinned, outcome.isSpilled);
      const latencyMs = Math.min(ringMs - 1, Math.round(latency.baseMs + -Math.log(1 - random()) * latency.meanExtraMs));
      finishing[(t + latencyMs) % ringMs].push({ backend, latencyMs, isPinned: outcome.isPinned, isSpilled: outcome.isSpilled });
    }
    if ((t - start) % 1000 === 999 && t - start > 30_000) {
      const tickFindings = bench.evaluate();
      findings.push(...tickFindings);
      evaluations++;
      const windows = bench.telemetry.window('portal', 30, t);
      const total = windows.reduce((a, w) => a + w.requests, 0);
      for (const window of windows) peakShareRatio = Math.max(peakShareRatio, window.requests / total / 0.2);
      if (gTest(windows.map((w) => w.requests), [0.2, 0.2, 0.2, 0.2, 0.2])!.pValue < bench.monitor.skew.alpha) rejectedByTest++;
    }
  }
  return { findings, rejectedByTest, evaluations, peakShareRatio };
}

describe('healthy sticky traffic', () => {
  it('raises no skew, in-flight skew, latency, error, capacity or traffic alert over ten minutes of Zipf sessions with some 30 requests in flight', () => {
    for (const seed of [1, 2]) {
      const run = runStickyTraffic(seed, 500, 600, 200, { baseMs: 50, meanExtraMs: 100 });
      const alarms = run.findings;
      expect(alarms, `seed ${seed}: ${alarms[0]?.summary}`).toEqual([]);
      expect(run.evaluations).toBe(570);
      expect(run.peakShareRatio).toBeLessThan(1.5);
    }
  }, 60_000);

  it('stays quiet with fast responses (about one request in flight) although the G-test alone rejects most of its windows', () => {
    for (const seed of [3, 4]) {
      const run = runStickyTraffic(seed, 500, 600, 200, { baseMs: 2, meanExtraMs: 3 });
      const alarms = run.findings;
      expect(alarms, `seed ${seed}: ${alarms[0]?.summary}`).toEqual([]);
      // Over-dispersed counts: a multinomial test at alpha = 0.001 would fire on most evaluations.
      expect(run.rejectedByTest / run.evaluations).toBeGreaterThan(0.5);
      expect(run.peakShareRatio).toBeLessThan(1.5);
    }
  }, 60_000);

  it('stays quiet on persistence concentration: the 5 busiest of 500 Zipf sessions carry about a third of the requests', () => {
    const run = runStickyTraffic(5, 500, 120, 200, { baseMs: 50, meanExtraMs: 100 });
    expect(run.findings.filter((finding) => finding.rule === 'persistence_concentration')).toEqual([]);
    expect(run.evaluations).toBeGreaterThan(0);
  }, 30_000);
});
