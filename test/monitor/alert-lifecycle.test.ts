import { describe, expect, it } from 'vitest';
import { AlertLifecycle, RESOLVE_AFTER_ABSENT_TICKS } from '../../src/monitor/alert-lifecycle.js';
import type { RuleFinding } from '../../src/monitor/alert.js';

function skewFinding(overrides: Partial<RuleFinding> = {}): RuleFinding {
  return {
    rule: 'skew',
    severity: 'critical',
    pool: 'portal',
    backend: undefined,
    backends: ['web-1', 'web-2'],
    summary: 'web-1 and web-2 carry 81% of requests, expected 40%.',
    evidence: { observedShare: 0.81, expectedShare: 0.4 },
    forMs: 3000,
    ...overrides,
  };
}

function moves(transitions: readonly { from: string | undefined; to: string }[]): string[] {
  return transitions.map((transition) => `${transition.from ?? 'new'}->${transition.to}`);
}

describe('alert lifecycle', () => {
  it('opens a pending alert and fires it once the finding has held for its for duration', () => {
    const lifecycle = new AlertLifecycle();
    expect(moves(lifecycle.advance([skewFinding()], 10_000))).toEqual(['new->pending']);
    expect(lifecycle.advance([skewFinding()], 11_000)).toEqual([]);
    expect(lifecycle.advance([skewFinding()], 12_000)).toEqual([]);
    const firing = lifecycle.advance([skewFinding()], 13_000);
    expect(moves(firing)).toEqual(['pending->firing']);
    expect(firing[0].alert).toMatchObject({ fingerprint: 'skew/portal/*', state: 'firing', startedAt: 10_000, firingAt: 13_000 });
  });

  it('fires on the first tick, after a pending transition, when for is zero', () => {
    const lifecycle = new AlertLifecycle();
    const transitions = lifecycle.advance([skewFinding({ forMs: 0 })], 5000);
    expect(moves(transitions)).toEqual(['new->pending', 'pending->firing']);
    expect(transitions.every((transition) => transition.at === 5000)).toBe(true);
  });

  it('keeps one alert per rule, pool and backend however often the finding repeats', () => {
    const lifecycle = new AlertLifecycle();
    lifecycle.advance([skewFinding(), skewFinding({ summary: 'a duplicate' })], 0);
    lifecycle.advance([skewFinding({ evidence: { observedShare: 0.83 } })], 1000);
    lifecycle.advance([skewFinding(), skewFinding({ pool: 'api' })], 2000);
    const active = lifecycle.active();
    expect(active.map((alert) => alert.fingerprint).sort()).toEqual(['skew/api/*', 'skew/portal/*']);
    expect(active.find((alert) => alert.pool === 'portal')?.evidence).toEqual({ observedShare: 0.81, expectedShare: 0.4 });
  });

  it('resolves a pending alert at once when its finding disappears, without ever firing', () => {
    const lifecycle = new AlertLifecycle();
    lifecycle.advance([skewFinding()], 0);
    const transitions = lifecycle.advance([], 1000);
    expect(moves(transitions)).toEqual(['pending->resolved']);
    expect(transitions[0].alert).toMatchObject({ state: 'resolved', firingAt: undefined, resolvedAt: 1000 });
    expect(lifecycle.active()).toEqual([]);
  });

  it(`resolves a firing alert only after its finding has been absent ${RESOLVE_AFTER_ABSENT_TICKS} ticks in a row`, () => {
    const lifecycle = new AlertLifecycle();
    lifecycle.advance([skewFinding({ forMs: 0 })], 0);
    // A noisy boundary: absent, present, absent, absent, present never resolves.
    let t = 0;
    for (const isPresent of [false, true, false, false, true, false, false]) {
      t += 1000;
      expect(lifecycle.advance(isPresent ? [skewFinding({ forMs: 0 })] : [], t)).toEqual([]);
    }
    t += 1000;
    const transitions = lifecycle.advance([], t);
    expect(moves(transitions)).toEqual(['firing->resolved']);
    expect(transitions[0].alert.resolvedAt).toBe(t);
  });

  it('opens a new alert when a resolved condition comes back', () => {
    const lifecycle = new AlertLifecycle({ resolveAfterAbsentTicks: 1 });
    lifecycle.advance([skewFinding({ forMs: 0 })], 0);
    lifecycle.advance([], 1000);
    expect(moves(lifecycle.advance([skewFinding({ forMs: 0 })], 2000))).toEqual(['new->pending', 'pending->firing']);
    expect(lifecycle.recent().map((alert) => [alert.state, alert.startedAt])).toEqual([['firing', 2000], ['resolved', 0]]);
  });

  it('keeps the latest evidence and severity while an alert is active, and the last ones when it resolves', () => {
    const lifecycle = new AlertLifecycle({ resolveAfterAbsentTicks: 1 });
    lifecycle.advance([skewFinding({ forMs: 0, severity: 'warning' })], 0);
    lifecycle.advance([skewFinding({ forMs: 0, evidence: { observedShare: 0.9 } })], 1000);
    expect(lifecycle.active()[0]).toMatchObject({ severity: 'critical', evidence: { observedShare: 0.9 } });
    const [resolved] = lifecycle.advance([], 2000);
    expect(resolved.alert.evidence).toEqual({ observedShare: 0.9 });
  });

  it('lists unresolved alerts most severe first', () => {
    const lifecycle = new AlertLifecycle();
    lifecycle.advance([skewFinding({ rule: 'traffic_spike', severity: 'info', pool: undefined }), skewFinding({ rule: 'latency', severity: 'warning' }), skewFinding()], 0);
    expect(lifecycle.active().map((alert) => alert.severity)).toEqual(['critical', 'warning', 'info']);
  });

  it('remembers a bounded number of resolved alerts', () => {
    const lifecycle = new AlertLifecycle({ recentResolvedLimit: 3 });
    for (let i = 0; i < 10; i++) {
      lifecycle.advance([skewFinding({ pool: `pool-${i}` })], i * 1000);
      lifecycle.advance([], i * 1000 + 500);
    }
    expect(lifecycle.recent(100).map((alert) => alert.pool)).toEqual(['pool-9', 'pool-8', 'pool-7']);
  });

  it('appends what the node did to the summary of the alert', () => {
    const lifecycle = new AlertLifecycle();
    lifecycle.advance([skewFinding({ forMs: 0 })], 0);
    lifecycle.diagnose('skew/portal/*', { summary: 'Traffic normal. Likely cause: change 42.', causes: [] });
    const alert = lifecycle.addAction('skew/portal/*', { kind: 'rollback', at: 1000, summary: 'rolled back change 42: version 7 restored as version 9 (change 43)', changeId: 42 });
    expect(alert?.summary).toBe('Traffic normal. Likely cause: change 42. Rolled back change 42: version 7 restored as version 9 (change 43).');
    expect(alert?.actions).toHaveLength(1);
    expect(lifecycle.addAction('skew/other/*', { kind: 'rollback', at: 1000, summary: 'x' })).toBeUndefined();
  });

  it('resolves everything open when asked to', () => {
    const lifecycle = new AlertLifecycle();
    lifecycle.advance([skewFinding({ forMs: 0 }), skewFinding({ pool: 'api' })], 0);
    expect(moves(lifecycle.resolveAll(1000))).toEqual(['firing->resolved', 'pending->resolved']);
    expect(lifecycle.active()).toEqual([]);
  });
});
