import { describe, expect, it } from 'vitest';
import { appendEvent, EVENT_KINDS, listAlerts, listEvents, recentContextEvents, recordAlertTransition, updateAlertRecord, verifyEvents, type Store } from '../../../src/control/index.js';
import { alertFingerprint, type Alert, type AlertState, type AlertTransition } from '../../../src/monitor/index.js';
import { DIALECTS, openStoreForEachTest } from '../store-fixture.js';

const STARTED = 1_714_557_600_000;

function skewAlert(state: AlertState, overrides: Partial<Alert> = {}): Alert {
  return {
    fingerprint: alertFingerprint('skew', 'portal', undefined),
    rule: 'skew',
    severity: 'critical',
    pool: 'portal',
    backend: undefined,
    state,
    startedAt: STARTED,
    firingAt: state === 'pending' ? undefined : STARTED + 3000,
    resolvedAt: state === 'resolved' ? STARTED + 60_000 : undefined,
    summary: 'web-1 and web-2 carry 81% of requests, expected 40%.',
    evidence: { observedShare: 0.81, expectedShare: 0.4, 'observed.web-1': 0.41, ratio: Infinity },
    backends: ['web-1', 'web-2'],
    causes: state === 'pending' ? [] : [{ kind: 'config_change', summary: "change 42 (automation 'weights.sh', 09:58) raised web-1 and web-2 weights 100 -> 400", score: 0.9, changeId: 42, version: 7 }],
    actions: [],
    ...overrides,
  };
}

function move(from: AlertState | undefined, to: AlertState, alert: Alert = skewAlert(to)): AlertTransition {
  return { alert, from, to, at: alert.resolvedAt ?? alert.firingAt ?? alert.startedAt };
}

describe.each(DIALECTS)('alerts in the store on %s', (dialect) => {
  let store: Store;
  openStoreForEachTest(dialect, (_fixture, opened) => {
    store = opened;
  });

  it('keeps one row per alert through pending, firing and resolved, with the latest summary and causes', async () => {
    await recordAlertTransition(store, move(undefined, 'pending'));
    await recordAlertTransition(store, move('pending', 'firing'));
    let listed = await listAlerts(store);
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ state: 'firing', firingAt: STARTED + 3000, causes: [{ changeId: 42 }], backends: ['web-1', 'web-2'] });
    await recordAlertTransition(store, move('firing', 'resolved'));
    listed = await listAlerts(store);
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ fingerprint: 'skew/portal/*', state: 'resolved', resolvedAt: STARTED + 60_000, summary: 'web-1 and web-2 carry 81% of requests, expected 40%.' });
  });

  it('writes every transition to the audit log as alert.state_changed by the monitor, and the chain still verifies', async () => {
    await recordAlertTransition(store, move(undefined, 'pending'));
    await recordAlertTransition(store, move('pending', 'firing'));
    const events = await listEvents(store, { kind: EVENT_KINDS.alertStateChanged });
    expect(events.map((event) => [event.actor, event.subject, (event.data as { from: string | null }).from, (event.data as { to: string }).to])).toEqual([
      ['monitor', 'alert:skew/portal/*', null, 'pending'],
      ['monitor', 'alert:skew/portal/*', 'pending', 'firing'],
    ]);
    expect(events[1]!.data).toMatchObject({ rule: 'skew', pool: 'portal', backend: null, summary: expect.stringContaining('81%'), evidence: { ratio: 'Infinity' }, causes: [{ changeId: 42 }] });
    // The transition's time (the alert's firingAt), not when the event was written.
    expect(events.map((event) => (event.data as { at: number }).at)).toEqual([STARTED, STARTED + 3000]);
    expect(await verifyEvents(store)).toEqual({ ok: true, count: 2 });
  });

  it('keeps a later alert of the same fingerprint apart from the resolved one', async () => {
    await recordAlertTransition(store, move(undefined, 'pending'));
    await recordAlertTransition(store, move('pending', 'resolved', skewAlert('resolved', { firingAt: undefined })));
    const again = skewAlert('pending', { startedAt: STARTED + 120_000 });
    await recordAlertTransition(store, move(undefined, 'pending', again));
    const listed = await listAlerts(store);
    expect(listed.map((alert) => [alert.state, alert.startedAt])).toEqual([
      ['pending', STARTED + 120_000],
      ['resolved', STARTED],
    ]);
    expect(await listAlerts(store, { state: 'resolved' })).toHaveLength(1);
    expect(await listAlerts(store, { since: STARTED + 1 })).toHaveLength(1);
    expect(await listAlerts(store, { limit: 1 })).toHaveLength(1);
  });

  it('records what the node did about an alert without a transition', async () => {
    await recordAlertTransition(store, move(undefined, 'firing'));
    const acted = skewAlert('firing', { actions: [{ kind: 'rollback', at: STARTED + 5000, summary: 'rolled back change 42: version 6 restored as version 8 (change 43)', changeId: 42, rollbackChangeId: 43 }] });
    await updateAlertRecord(store, acted);
    const [stored] = await listAlerts(store);
    expect(stored!.actions).toEqual(acted.actions);
    expect(await listEvents(store, { kind: EVENT_KINDS.alertStateChanged })).toHaveLength(1);
  });

  it('refuses a malformed filter with a stable code', async () => {
    await expect(listAlerts(store, { limit: 0 })).rejects.toMatchObject({ code: 'EK_EVENT_QUERY_INVALID' });
    await expect(listAlerts(store, { state: 'burning' as AlertState })).rejects.toMatchObject({ code: 'EK_EVENT_QUERY_INVALID' });
  });

  it('reads recent config and health events back for the diagnosis, without alert events', async () => {
    const before = Date.now();
    await appendEvent(store, { kind: EVENT_KINDS.changeApplied, actor: 'bo', subject: 'change:1', data: { changeId: 1, version: 2 } });
    await appendEvent(store, { kind: EVENT_KINDS.healthTransition, actor: 'health', subject: 'pool:portal/web-3', data: { kind: 'down' } });
    await recordAlertTransition(store, move(undefined, 'pending'));
    const events = await recentContextEvents(store, before);
    expect(events.map((event) => event.kind)).toEqual(['change.applied', 'health.transition']);
    expect(events[0]).toMatchObject({ actor: 'bo', subject: 'change:1', data: { changeId: 1, version: 2 } });
    expect(await recentContextEvents(store, Date.now() + 60_000)).toEqual([]);
  });
});
