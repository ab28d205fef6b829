import { describe, expect, it } from 'vitest';
import { listEvents, verifyEvents, type Store } from '../../src/control/index.js';
import { addImpact, alertResolved, getIncident, incidentDurations, IncidentError, listIncidents, markMilestone, openOrJoinIncident, resolveOrphanedIncident } from '../../src/incident/index.js';
import { alertFingerprint, type Alert, type AlertRule } from '../../src/monitor/index.js';
import { DIALECTS, type StoreFixture, openStoreForEachTest } from '../control/store-fixture.js';

const T0 = 1_714_557_600_000; // 2024-05-01 10:00:00 UTC, the postmortem's first alert

function firing(rule: AlertRule, pool: string | undefined, startedAt: number, firingAt: number, overrides: Partial<Alert> = {}): Alert {
  return {
    fingerprint: alertFingerprint(rule, pool, undefined),
    rule,
    severity: 'critical',
    pool,
    backend: undefined,
    state: 'firing',
    startedAt,
    firingAt,
    resolvedAt: undefined,
    summary: 'web-1 and web-2 carry 81% of requests, expected 40%.',
    evidence: {},
    backends: ['web-1', 'web-2'],
    causes: [],
    actions: [],
    ...overrides,
  };
}

function resolved(alert: Alert, resolvedAt: number): Alert {
  return { ...alert, state: 'resolved', resolvedAt };
}

describe.each(DIALECTS)('incidents in the store on %s', (dialect) => {
  let fixture: StoreFixture;
  let store: Store;
  openStoreForEachTest(dialect, (opened, openedStore) => {
    fixture = opened;
    store = openedStore;
  });

  it('opens an incident when an alert fires, started at its first sign and detected when it fired, titled by its summary', async () => {
    const { incident, opened } = await openOrJoinIncident(store, firing('skew', 'portal', T0, T0 + 4200), T0 + 4300);
    expect(opened).toBe(true);
    expect(incident).toMatchObject({ pool: 'portal', status: 'open', title: 'web-1 and web-2 carry 81% of requests, expected 40%.', alerts: ['skew/portal/*'], backends: ['web-1', 'web-2'] });
    expect(incident.milestones.started).toMatchObject({ at: T0, by: 'monitor' });
    expect(incident.milestones.detected).toMatchObject({ at: T0 + 4200, by: 'monitor' });
    expect(incidentDurations(incident)).toEqual({ toDetectMs: 4200, toMitigateMs: undefined, toResolveMs: undefined });
    const events = await listEvents(store, { kind: 'incident.opened' });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor: 'monitor', subject: `incident:${incident.id}`, data: { incidentId: incident.id, pool: 'portal', alert: 'skew/portal/*' } });
  });

  it('joins a second alert of the same pool to the open incident and moves started to the earlier first sign; another pool gets its own', async () => {
    const first = await openOrJoinIncident(store, firing('skew', 'portal', T0, T0 + 4000));
    const latency = firing('latency', 'portal', T0 - 2000, T0 + 9000, { backends: ['web-3'] });
    const joined = await openOrJoinIncident(store, latency);
    expect(joined.opened).toBe(false);
    expect(joined.incident.id).toBe(first.incident.id);
    expect(joined.incident.alerts).toEqual(['skew/portal/*', 'latency/portal/*']);
    expect(joined.incident.backends).toEqual(['web-1', 'web-2', 'web-3']);
    expect(joined.incident.milestones.started?.at).toBe(T0 - 2000);
    expect(joined.incident.milestones.detected?.at).toBe(T0 + 4000);
    const other = await openOrJoinIncident(store, firing('skew', 'api', T0, T0 + 4000));
    expect(other.opened).toBe(true);
    const nodeWide = await openOrJoinIncident(store, firing('traffic_spike', undefined, T0, T0 + 4000));
    expect(nodeWide.incident.pool).toBe('*');
    expect((await listIncidents(store, { status: 'open' })).map((incident) => incident.pool).sort()).toEqual(['*', 'api', 'portal']);
    expect(await listEvents(store, { kind: 'incident.opened' })).toHaveLength(3);
  });

  it('resolves only when every related alert has resolved, and then counts mitigated at the resolve time when nobody mitigated it', async () => {
    const skew = firing('skew', 'portal', T0, T0 + 4000);
    const latency = firing('latency', 'portal', T0 + 1000, T0 + 6000);
    const { incident } = await openOrJoinIncident(store, skew);
    await openOrJoinIncident(store, latency);
    const half = await alertResolved(store, resolved(skew, T0 + 60_000));
    expect(half?.status).toBe('open');
    expect(half?.milestones.resolved).toBeUndefined();
    const done = await alertResolved(store, resolved(latency, T0 + 90_000));
    expect(done?.id).toBe(incident.id);
    expect(done?.status).toBe('resolved');
    expect(done?.milestones.resolved?.at).toBe(T0 + 90_000);
    expect(done?.milestones.mitigated).toEqual({ at: T0 + 90_000, by: 'monitor', note: 'alerts resolved' });
    expect(incidentDurations(done!)).toEqual({ toDetectMs: 4000, toMitigateMs: 90_000, toResolveMs: 90_000 });
    const events = await listEvents(store, { kind: 'incident.resolved' });
    expect(events).toHaveLength(1);
    expect(events[0]!.data).toMatchObject({ incidentId: incident.id, toResolveMs: 90_000, mitigatedOnResolve: true });
    // An alert that fires later on the same pool opens a new incident: the first one is over.
    const again = await openOrJoinIncident(store, firing('skew', 'portal', T0 + 200_000, T0 + 204_000));
    expect(again.opened).toBe(true);
    expect(again.incident.id).not.toBe(incident.id);
  });

  it('ignores the resolve of an alert that belongs to no incident (it never fired)', async () => {
    expect(await alertResolved(store, resolved(firing('skew', 'portal', T0, T0), T0 + 5000))).toBeUndefined();
    expect(await listIncidents(store)).toEqual([]);
  });

  it('keeps the first mark of a milestone, records later ones as history, and logs every mark by its author', async () => {
    const { incident } = await openOrJoinIncident(store, firing('skew', 'portal', T0, T0 + 4000));
    await markMilestone(store, incident.id, 'acknowledged', 'alice', undefined, T0 + 30_000);
    await markMilestone(store, incident.id, 'identified', 'alice', 'change 42 raised web-1 and web-2 weights', T0 + 60_000);
    await markMilestone(store, incident.id, 'acknowledged', 'bob', undefined, T0 + 70_000);
    const marked = await markMilestone(store, incident.id, 'mitigated', 'bob', 'restored the weights', T0 + 80_000);
    expect(marked.milestones.acknowledged).toEqual({ at: T0 + 30_000, by: 'alice' });
    expect(marked.milestones.identified).toEqual({ at: T0 + 60_000, by: 'alice', note: 'change 42 raised web-1 and web-2 weights' });
    expect(marked.milestones.mitigated).toEqual({ at: T0 + 80_000, by: 'bob', note: 'restored the weights' });
    expect(marked.history).toEqual([{ milestone: 'acknowledged', at: T0 + 70_000, by: 'bob' }]);
    expect(incidentDurations(marked).toMitigateMs).toBe(80_000);
    const events = await listEvents(store, { kind: 'incident.milestone' });
    expect(events.map((event) => [event.actor, (event.data as { milestone: string }).milestone, (event.data as { isFirst: boolean }).isFirst])).toEqual([
      ['alice', 'acknowledged', true],
      ['alice', 'identified', true],
      ['bob', 'acknowledged', false],
      ['bob', 'mitigated', true],
    ]);
    // Mitigated before it resolved: resolving keeps the person's mark.
    const done = await alertResolved(store, resolved(firing('skew', 'portal', T0, T0 + 4000), T0 + 120_000));
    expect(done?.milestones.mitigated).toEqual({ at: T0 + 80_000, by: 'bob', note: 'restored the weights' });
    expect(await verifyEvents(store)).toMatchObject({ ok: true });
  });

  it('lets a resolved incident be acknowledged and identified but refuses to mitigate it, and refuses unknown ids and milestones with codes', async () => {
    const alert = firing('skew', 'portal', T0, T0 + 4000);
    const { incident } = await openOrJoinIncident(store, alert);
    await alertResolved(store, resolved(alert, T0 + 50_000));
    const identified = await markMilestone(store, incident.id, 'identified', 'carol', 'the weights script', T0 + 600_000);
    expect(identified.milestones.identified).toMatchObject({ by: 'carol', note: 'the weights script' });
    await expect(markMilestone(store, incident.id, 'mitigated', 'carol', 'too late')).rejects.toMatchObject({ code: 'EK_INCIDENT_STATE' });
    await expect(markMilestone(store, 999, 'acknowledged', 'carol')).rejects.toMatchObject({ code: 'EK_INCIDENT_NOT_FOUND' });
    await expect(getIncident(store, 999)).rejects.toBeInstanceOf(IncidentError);
    // @ts-expect-error: resolved is set by the alerts, not by a person
    await expect(markMilestone(store, incident.id, 'resolved', 'carol')).rejects.toMatchObject({ code: 'EK_INCIDENT_INVALID' });
  });

  it('resolves an orphaned incident with a note, mitigated at the same time when nothing mitigated it, and only once', async () => {
    const { incident } = await openOrJoinIncident(store, firing('skew', 'portal', T0, T0 + 4000));
    const closed = await resolveOrphanedIncident(store, incident.id, 'the node restarted', T0 + 30_000);
    expect(closed).toMatchObject({ status: 'resolved', milestones: { resolved: { at: T0 + 30_000, note: 'the node restarted' }, mitigated: { at: T0 + 30_000, by: 'monitor' } } });
    expect(await resolveOrphanedIncident(store, incident.id, 'again')).toBeUndefined();
    // Its alert resolving later changes nothing.
    expect(await alertResolved(store, resolved(firing('skew', 'portal', T0, T0 + 4000), T0 + 60_000))).toBeUndefined();
    expect(await listEvents(store, { kind: 'incident.resolved' })).toHaveLength(1);
  });

  it('adds impact per backend across calls, keeping the latest SLO', async () => {
    const { incident } = await openOrJoinIncident(store, firing('skew', 'portal', T0, T0 + 4000));
    await addImpact(store, incident.id, { requests: 100, slowed: 10, failed: 2, sloMs: 500, backends: { 'web-1': { requests: 60, slowed: 10, failed: 2 }, 'web-2': { requests: 40, slowed: 0, failed: 0 } } });
    await addImpact(store, incident.id, { requests: 50, slowed: 5, failed: 1, sloMs: 400, backends: { 'web-1': { requests: 30, slowed: 5, failed: 0 }, 'web-3': { requests: 20, slowed: 0, failed: 1 } } });
    const after = await getIncident(store, incident.id);
    expect(after.impact).toEqual({
      requests: 150,
      slowed: 15,
      failed: 3,
      sloMs: 400,
      backends: { 'web-1': { requests: 90, slowed: 15, failed: 2 }, 'web-2': { requests: 40, slowed: 0, failed: 0 }, 'web-3': { requests: 20, slowed: 0, failed: 1 } },
    });
    await expect(addImpact(store, incident.id, { requests: -1, slowed: 0, failed: 0, sloMs: 500, backends: {} })).rejects.toMatchObject({ code: 'EK_INCIDENT_INVALID' });
  });

  it('lists incidents newest first, filtered by status and pool, within a limit', async () => {
    for (let i = 0; i < 3; i++) {
      const alert = firing('skew', 'portal', T0 + i * 100_000, T0 + i * 100_000 + 4000);
      await openOrJoinIncident(store, alert);
      if (i < 2) await alertResolved(store, resolved(alert, T0 + i * 100_000 + 50_000));
    }
    await openOrJoinIncident(store, firing('skew', 'api', T0 + 10, T0 + 4000));
    const all = await listIncidents(store);
    expect(all.map((incident) => incident.milestones.started?.at)).toEqual([T0 + 200_000, T0 + 100_000, T0 + 10, T0]);
    expect((await listIncidents(store, { status: 'resolved' })).map((incident) => incident.pool)).toEqual(['portal', 'portal']);
    expect(await listIncidents(store, { pool: 'api' })).toHaveLength(1);
    expect(await listIncidents(store, { limit: 1 })).toHaveLength(1);
    await expect(listIncidents(store, { limit: 0 })).rejects.toMatchObject({ code: 'EK_INCIDENT_INVALID' });
  });

  it('joins one incident when two nodes sharing the store fire for the same pool at once', async () => {
    const other = await fixture.open();
    const results = await Promise.all([
      openOrJoinIncident(store, firing('skew', 'portal', T0, T0 + 4000)),
      openOrJoinIncident(other, firing('latency', 'portal', T0 + 500, T0 + 4100)),
    ]);
    expect(results.filter((result) => result.opened)).toHaveLength(1);
    expect(new Set(results.map((result) => result.incident.id)).size).toBe(1);
    expect([...(await getIncident(store, results[0].incident.id)).alerts].sort()).toEqual(['latency/portal/*', 'skew/portal/*']);
  });
});
