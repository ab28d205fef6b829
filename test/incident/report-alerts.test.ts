import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/control/index.js';
import type { Incident } from '../../src/incident/incident.js';
import { alertLives } from '../../src/incident/report-alerts.js';

const T0 = 1_714_557_600_000;

function transition(seq: number, writtenAt: number, to: string, data: Record<string, unknown> = {}): AuditEvent {
  return {
    seq,
    at: writtenAt,
    kind: 'alert.state_changed',
    actor: 'monitor',
    subject: 'alert:skew/portal/*',
    data: { from: null, to, rule: 'skew', pool: 'portal', backend: null, summary: 'web-1 carries 60% of requests, expected 20%.', evidence: {}, causes: [], ...data },
    prevHash: '',
    hash: '',
  };
}

const incident: Incident = {
  id: 1,
  pool: 'portal',
  status: 'resolved',
  title: 'skew',
  milestones: { started: { at: T0, by: 'monitor' } },
  alerts: ['skew/portal/*'],
  backends: ['web-1'],
  impact: { requests: 0, slowed: 0, failed: 0, sloMs: 500, backends: {} },
  updatedAt: T0,
};

describe('the lives of an incident\'s alerts', () => {
  it('dates each transition when the monitor made it, not when its event was written', () => {
    // Under load the events are written a few hundred ms after the evaluation that moved the alert.
    const events = [
      transition(1, T0 + 400, 'pending', { at: T0 }),
      transition(2, T0 + 3_650, 'firing', { at: T0 + 3_000 }),
      transition(3, T0 + 60_300, 'resolved', { at: T0 + 60_000 }),
    ];
    expect(alertLives(events, incident)).toMatchObject([{ fingerprint: 'skew/portal/*', pendingAt: T0, firingAt: T0 + 3_000, resolvedAt: T0 + 60_000 }]);
  });

  it('falls back to the write time for events recorded before transitions carried their own', () => {
    const events = [transition(1, T0, 'pending'), transition(2, T0 + 3_650, 'firing'), transition(3, T0 + 60_300, 'resolved')];
    expect(alertLives(events, incident)).toMatchObject([{ pendingAt: T0, firingAt: T0 + 3_650, resolvedAt: T0 + 60_300 }]);
  });
});
