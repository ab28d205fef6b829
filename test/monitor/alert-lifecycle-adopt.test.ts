import { describe, expect, it } from 'vitest';
import { AlertLifecycle, RESOLVE_AFTER_ABSENT_TICKS } from '../../src/monitor/alert-lifecycle.js';
import type { Alert, RuleFinding } from '../../src/monitor/alert.js';

// A fleet's new monitor leader takes over the alerts its predecessor left unresolved in the store:
// the condition that still holds must not alert (pending, firing) a second time.

const finding: RuleFinding = {
  rule: 'skew',
  severity: 'critical',
  pool: 'web',
  backend: undefined,
  backends: ['web-1'],
  summary: 'web-1 carries 73% of requests, expected 33%.',
  evidence: { observedShare: 0.73, expectedShare: 0.33 },
  forMs: 2000,
};

/** The alert as the previous leader stored it: firing since 12 s, rolled back once. */
function storedFiring(): Alert {
  const previous = new AlertLifecycle();
  previous.advance([finding], 10_000);
  const [firing] = previous.advance([finding], 12_000);
  expect(firing?.to).toBe('firing');
  return previous.addAction('skew/web/*', { kind: 'rollback', at: 12_500, summary: 'rolled back change 4', changeId: 4 }) ?? firing!.alert;
}

describe('an alert lifecycle taking over stored alerts', () => {
  it('keeps a firing alert firing without a transition while its finding holds', () => {
    const lifecycle = new AlertLifecycle();
    const stored = storedFiring();
    expect(lifecycle.adopt([stored])).toHaveLength(1);
    expect(lifecycle.advance([finding], 20_000)).toEqual([]);
    expect(lifecycle.advance([finding], 21_000)).toEqual([]);
    expect(lifecycle.active()).toMatchObject([{ fingerprint: 'skew/web/*', state: 'firing', startedAt: 10_000, firingAt: 12_000 }]);
    expect(lifecycle.active()[0]!.actions).toHaveLength(1);
  });

  it('resolves the taken-over alert after the usual absent ticks, once', () => {
    const lifecycle = new AlertLifecycle();
    lifecycle.adopt([storedFiring()]);
    const transitions = [];
    for (let tick = 1; tick <= RESOLVE_AFTER_ABSENT_TICKS + 2; tick++) transitions.push(...lifecycle.advance([], 20_000 + tick * 1000));
    expect(transitions.map((transition) => `${transition.from}->${transition.to}`)).toEqual(['firing->resolved']);
    expect(transitions[0]!.alert).toMatchObject({ startedAt: 10_000, state: 'resolved' });
  });

  it('leaves resolved alerts and fingerprints it already holds alone', () => {
    const lifecycle = new AlertLifecycle();
    lifecycle.advance([finding], 30_000);
    const stored = storedFiring();
    expect(lifecycle.adopt([stored, { ...stored, fingerprint: 'skew/api/*', pool: 'api', state: 'resolved', resolvedAt: 13_000 }])).toEqual([]);
    expect(lifecycle.active()).toMatchObject([{ fingerprint: 'skew/web/*', state: 'pending', startedAt: 30_000 }]);
  });
});
