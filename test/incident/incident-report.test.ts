import { afterEach, describe, expect, it, vi } from 'vitest';
import { appendEvent, AutoRollback, EVENT_KINDS, listEvents, recentContextEvents, recordAlertTransition, type AuditEvent, type Store } from '../../src/control/index.js';
import { addImpact, alertResolved, buildIncidentReport, IncidentError, markMilestone, openOrJoinIncident, renderIncidentReportMarkdown, type IncidentReport } from '../../src/incident/index.js';
import { alertFingerprint, diagnose, type Alert, type AlertState, type RuleFinding } from '../../src/monitor/index.js';
import { actors, openChangeHarness, portal, type ChangeHarness } from '../control/changes/change-fixture.js';
import { DIALECTS } from '../control/store-fixture.js';

// The postmortem of 2024-05-01 written through the real control plane: an automation script's change
// raising web-1 and web-2 to 400, approved by a person and applied; a skew alert pending then firing
// with the monitor's real diagnosis; the node's automatic rollback; the alert resolving. The clock is
// the only thing faked (Date only, so every event, version and milestone carries the story's times).

const at = (time: string) => Date.parse(`2024-05-01T${time}Z`);
const HEADINGS = [
  '## Summary',
  '## Impact',
  '## Trigger',
  '## Root cause candidates',
  '## Detection',
  '## Resolution',
  '## Timeline',
  '## Contributing factors',
  '## Lessons learned',
  '## Action items',
];

function setClock(ms: number): void {
  vi.setSystemTime(ms);
}

const opened: ChangeHarness[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(opened.splice(0).map((harness) => harness.dispose()));
});

async function openAt(dialect: (typeof DIALECTS)[number], time: number): Promise<ChangeHarness> {
  vi.useFakeTimers({ toFake: ['Date'] });
  setClock(time);
  const harness = await openChangeHarness(dialect, portal());
  opened.push(harness);
  return harness;
}

/** The alert as the node's lifecycle hands it over, with the monitor's diagnosis of the log at onset. */
async function diagnosed(store: Store, finding: RuleFinding, state: AlertState, startedAt: number, firingAt: number | undefined, traffic = { rps: 1020, baselineRps: 1000 }): Promise<Alert> {
  const lookBackMs = 10 * 60_000;
  const diagnosis = diagnose({ finding, traffic, spikeRatio: 2, dropRatio: 0.5, onsetMs: startedAt, lookBackMs, events: await recentContextEvents(store, startedAt - lookBackMs) });
  return {
    fingerprint: alertFingerprint(finding.rule, finding.pool, finding.backend),
    rule: finding.rule,
    severity: finding.severity,
    pool: finding.pool,
    backend: finding.backend,
    state,
    startedAt,
    firingAt,
    resolvedAt: undefined,
    summary: diagnosis.summary,
    evidence: finding.evidence,
    backends: finding.backends,
    causes: state === 'firing' ? diagnosis.causes : [],
    actions: [],
  };
}

async function transition(store: Store, alert: Alert, from: AlertState | undefined, to: AlertState, time: number): Promise<Alert> {
  setClock(time);
  const next: Alert = { ...alert, state: to, ...(to === 'resolved' ? { resolvedAt: time } : {}) };
  await recordAlertTransition(store, { alert: next, from, to, at: time });
  return next;
}

const SKEW: RuleFinding = {
  rule: 'skew',
  severity: 'critical',
  pool: 'portal',
  backend: undefined,
  backends: ['web-1', 'web-2'],
  summary: 'web-1 and web-2 carry 81% of requests, expected 40%',
  evidence: { observedShare: 0.81, expectedShare: 0.4, pinnedShare: 0.74, persistence: 'cookie', rps: 1020 },
  forMs: 3000,
};

const IMPACT = {
  requests: 12_000,
  slowed: 3_720,
  failed: 24,
  sloMs: 500,
  backends: {
    'web-1': { requests: 4_900, slowed: 1_900, failed: 12 },
    'web-2': { requests: 4_820, slowed: 1_780, failed: 12 },
    'web-3': { requests: 760, slowed: 14, failed: 0 },
    'web-4': { requests: 760, slowed: 13, failed: 0 },
    'web-5': { requests: 760, slowed: 13, failed: 0 },
  },
};

/** Writes the postmortem's story and returns the report of its incident with what the log holds. */
async function postmortemStory(harness: ChangeHarness, options: { marksOfTheNode?: boolean } = {}) {
  const { store, service } = harness;
  setClock(at('09:57:10'));
  const change = await service.propose({ actor: actors.script, source: 'automation', reason: 'weights.sh nightly rebalance', config: portal([400, 400, 100, 100, 100]) });
  setClock(at('09:57:40'));
  await service.approve(change.id, actors.bo, 'nightly run');
  setClock(at('09:58:00'));
  await service.apply(change.id, actors.bo);

  const pending = await transition(store, await diagnosed(store, SKEW, 'pending', at('10:00:00'), undefined), undefined, 'pending', at('10:00:00'));
  const firingAt = at('10:00:04.200');
  const firing = await transition(store, { ...(await diagnosed(store, SKEW, 'firing', pending.startedAt, firingAt)), state: 'pending' }, 'pending', 'firing', firingAt);
  const { incident } = await openOrJoinIncident(store, firing, firingAt);
  const decision = await new AutoRollback({ changes: service, store }).consider({ ...firing, firingAt });
  expect(decision.kind).toBe('rolled_back');
  if (options.marksOfTheNode === true && decision.kind === 'rolled_back') {
    // As the node does after its automatic rollback (src/node/node-incidents.ts).
    setClock(at('10:00:04.300'));
    await markMilestone(store, incident.id, 'identified', 'node', `${firing.causes[0]?.summary ?? ''}; rolled back automatically`, at('10:00:04.300'));
    await markMilestone(store, incident.id, 'mitigated', 'node', decision.action.summary, at('10:00:04.300'));
  }
  setClock(at('10:00:20'));
  await addImpact(store, incident.id, IMPACT);
  const resolvedAt = at('10:00:40');
  const resolved = await transition(store, firing, 'firing', 'resolved', resolvedAt);
  await alertResolved(store, resolved, resolvedAt);

  setClock(at('10:05:00'));
  const report = await buildIncidentReport(store, incident.id);
  const logged = await listEvents(store, { since: report.window.since, until: report.window.until, limit: 1000 });
  return { change, incident, report, logged, rollbackId: decision.kind === 'rolled_back' ? decision.rollback.id : -1 };
}

function headingsOf(markdown: string): string[] {
  return markdown.split('\n').filter((line) => line.startsWith('## '));
}

function alertEvent(logged: readonly AuditEvent[], to: AlertState): AuditEvent {
  const event = logged.find((candidate) => candidate.kind === EVENT_KINDS.alertStateChanged && (candidate.data as { to?: string }).to === to);
  if (event === undefined) throw new Error(`no alert event to ${to} in the log`);
  return event;
}

describe.each(DIALECTS)('incident report on %s', (dialect) => {
  it("tells the postmortem's story: the script's change as the trigger, detection, rollback and every event in time order", async () => {
    const harness = await openAt(dialect, at('09:50:00'));
    const { change, report, logged, rollbackId } = await postmortemStory(harness);

    // Trigger: the script's change, approved by bo, with its diff.
    expect(report.trigger).toMatchObject({ kind: 'config_change', changeId: change.id, at: at('09:58:00') });
    expect(report.trigger.text).toContain(`Change ${change.id} (automation 'weights.sh', 09:58 UTC) raised web-1 and web-2 weights 100 -> 400`);
    expect(report.trigger.text).toContain('approved by bo');
    expect(report.trigger.text).toContain('applied 2 min before the first sign');
    const [top, ...others] = report.rootCauseCandidates;
    expect(top).toMatchObject({ kind: 'config_change', changeId: change.id, isNamedByAlert: true });
    expect(top!.evidence).toEqual(
      expect.arrayContaining([
        'proposed by weights.sh (automation) at 09:57:10 UTC: "weights.sh nightly rebalance"',
        'approved by bo at 09:57:40 UTC: "nightly run"',
        'applied by bo at 09:58:00 UTC as version 2, 2 min before the first sign',
        'diff: pools.portal: web-1 weight 100 -> 400',
        'diff: pools.portal: web-2 weight 100 -> 400',
      ]),
    );
    expect(top!.evidence.filter((line) => line.startsWith('named by alert skew/portal/* (score ') && line.endsWith(' when it fired'))).toHaveLength(1);
    // Sticky sessions compounded it, as the postmortem says; the alert's diagnosis named them.
    expect(others.map((candidate) => candidate.kind)).toContain('persistence');

    // Detection: the seconds from the alert's pending event to its firing event.
    const pendingEvent = alertEvent(logged, 'pending');
    const firingEvent = alertEvent(logged, 'firing');
    expect(report.detection.firstSignAt).toBe(pendingEvent.at);
    expect(report.detection.detectedAt).toBe(firingEvent.at);
    expect(report.detection.secondsAfterFirstSign).toBe((firingEvent.at - pendingEvent.at) / 1000);
    expect(report.detection.secondsAfterFirstSign).toBe(4.2);
    expect(report.detection.alerts).toMatchObject([{ fingerprint: 'skew/portal/*', pendingAt: pendingEvent.at, firingAt: firingEvent.at, resolvedAt: at('10:00:40') }]);
    expect(report.detection.alerts[0]!.summary).toContain('Traffic normal (1,020 rps, baseline 1,000)');

    // Resolution: the automatic rollback, though the incident only recorded "alerts resolved".
    expect(report.resolution).toMatchObject({ mitigatedAt: firingEvent.at, by: 'monitor', secondsToMitigate: 4.2, resolvedAt: at('10:00:40'), secondsToResolve: 40 });
    expect(report.resolution.how).toBe(`rolled back change ${change.id}: version 1 restored as version 3 (change ${rollbackId})`);

    // Impact: the shares are the incident's counters.
    expect(report.impact).toMatchObject({ requests: 12_000, slowed: 3_720, failed: 24, slowedShare: 3_720 / 12_000, failedShare: 24 / 12_000 });
    expect(report.impact.backends.map((backend) => backend.backend).slice(0, 2)).toEqual(['web-1', 'web-2']);
    expect(report.impact.backends[0]!.requestShare).toBe(4_900 / 12_000);
    expect(report.summary).toMatchObject({ pools: ['portal'], backends: ['web-1', 'web-2'], startedAt: at('10:00:00'), endedAt: at('10:00:40'), durationMs: 40_000 });

    // Timeline: every event of the window, in time order, from the proposal to the incident's resolution.
    const inTimeOrder = [...logged].sort((a, b) => a.at - b.at || a.seq - b.seq);
    expect(report.timeline.map((entry) => entry.seq)).toEqual(inTimeOrder.map((event) => event.seq));
    expect(report.timeline.map((entry) => entry.kind)).toEqual(
      expect.arrayContaining(['change.proposed', 'change.approved', 'change.applied', 'alert.state_changed', 'incident.opened', 'change.rolled_back', 'incident.resolved']),
    );
    expect(report.timeline.every((entry) => entry.offsetMs === entry.at - at('10:00:00'))).toBe(true);
    expect(report.timelineTruncated).toBe(false);

    const markdown = renderIncidentReportMarkdown(report);
    expect(markdown.split('\n')[0]).toBe(`# Incident ${report.incident.id}: ${report.incident.title}`);
    expect(headingsOf(markdown)).toEqual(HEADINGS);
    expect(markdown).toContain('- **Duration:** from 10:00:00 to 10:00:40 UTC on 2024-05-01 (40 s).');
    expect(markdown).toContain('31% of 12,000 requests to pool portal were slower than the 500 ms SLO and 0.2% failed');
    expect(markdown).toContain('alert skew/portal/* fired 4.2 s after the first sign.');
    expect(markdown).toContain(`| 09:57:40 | -2 min 20 s | change ${change.id} approved by bo: "nightly run" |`);
    expect(markdown).toContain(`| 10:00:04 | +4.2 s | rollback change ${rollbackId} applied by monitor: version 1 restored as version 3 |`);
    expect(markdown).toContain('Time to detect: 4.2 s; time to mitigate: 4.2 s; time to resolve: 40 s.');
    for (const heading of HEADINGS.slice(-3)) expect(markdown.split(`${heading}\n\n`)[1]!.startsWith('_')).toBe(true);
    expect(report.humanSections).toEqual({ contributingFactors: [], lessonsLearned: [], actionItems: [] });

    // --format json prints the report as is: it survives a round trip.
    expect(JSON.parse(JSON.stringify(report)) as IncidentReport).toEqual(report);
  });

  it("credits the node's own marks for the automatic rollback without naming the rollback twice", async () => {
    const harness = await openAt(dialect, at('09:50:00'));
    const { change, report, rollbackId } = await postmortemStory(harness, { marksOfTheNode: true });
    expect(report.resolution).toMatchObject({ mitigatedAt: at('10:00:04.300'), by: 'node', how: `rolled back change ${change.id}: version 1 restored as version 3 (change ${rollbackId})`, secondsToMitigate: 4.3 });
    expect(report.detection.identified).toMatchObject({ by: 'node', secondsAfterFirstSign: 4.3 });
    const markdown = renderIncidentReportMarkdown(report);
    expect(markdown).toContain(`- **Mitigated:** 10:00:04 UTC by node, 4.3 s after the first sign: rolled back change ${change.id}: version 1 restored as version 3 (change ${rollbackId}).`);
    expect(markdown).not.toContain('- **Rollback:**');
    expect(report.trigger.changeId).toBe(change.id);
  });

  it("reads like the original postmortem when people fix it by hand: 2 h 45 min, mitigated at 12:30, the script's change still the trigger", async () => {
    const harness = await openAt(dialect, at('09:50:00'));
    const { store, service } = harness;
    setClock(at('09:57:10'));
    const change = await service.propose({ actor: actors.script, source: 'automation', reason: 'weights.sh nightly rebalance', config: portal([400, 400, 100, 100, 100]) });
    setClock(at('09:57:40'));
    await service.approve(change.id, actors.bo);
    setClock(at('09:58:00'));
    await service.apply(change.id, actors.bo);
    const pending = await transition(store, await diagnosed(store, SKEW, 'pending', at('10:00:00'), undefined), undefined, 'pending', at('10:00:00'));
    const firing = await transition(store, { ...(await diagnosed(store, SKEW, 'firing', pending.startedAt, at('10:00:04.200'))), state: 'pending' }, 'pending', 'firing', at('10:00:04.200'));
    const { incident } = await openOrJoinIncident(store, firing, at('10:00:04.200'));
    setClock(at('10:05:00'));
    await markMilestone(store, incident.id, 'acknowledged', 'ana', undefined, at('10:05:00'));
    setClock(at('12:00:00'));
    await markMilestone(store, incident.id, 'identified', 'ana', "weights.sh raised web-1 and web-2 to 400; sticky sessions kept the clients there", at('12:00:00'));
    setClock(at('12:30:00'));
    const fix = await service.rollback(actors.ana, { reason: 'undo weights.sh: two of five servers carry 80%', source: 'cli' });
    await markMilestone(store, incident.id, 'mitigated', 'ana', `change ${fix.id} applied by ana as version ${fix.appliedVersion ?? '?'}`, at('12:30:00'));
    const resolved = await transition(store, firing, 'firing', 'resolved', at('12:45:00'));
    await alertResolved(store, resolved, at('12:45:00'));

    setClock(at('13:00:00'));
    const report = await buildIncidentReport(store, incident.id);
    expect(report.trigger).toMatchObject({ kind: 'config_change', changeId: change.id });
    expect(report.rootCauseCandidates.map((candidate) => candidate.changeId)).not.toContain(fix.id);
    expect(report.resolution).toMatchObject({ mitigatedAt: at('12:30:00'), by: 'ana', how: `change ${fix.id} applied by ana as version 3`, secondsToMitigate: 9000, secondsToResolve: 9900 });
    expect(report.resolution.rollbacks).toMatchObject([{ rollbackChangeId: fix.id, restoredVersion: 1, undoneChangeIds: [change.id], by: 'ana' }]);

    const markdown = renderIncidentReportMarkdown(report);
    expect(headingsOf(markdown)).toEqual(HEADINGS);
    expect(markdown).toContain('- **Duration:** from 10:00:00 to 12:45:00 UTC on 2024-05-01 (2 h 45 min).');
    expect(markdown).toContain('Time to detect: 4.2 s; time to mitigate: 2 h 30 min; time to resolve: 2 h 45 min.');
    expect(markdown).toContain('- **Acknowledged:** 10:05:00 UTC by ana, 5 min after the first sign.');
    expect(markdown).toContain(`| 12:30:00 | +2 h 30 min | rollback change ${fix.id} applied by ana: version 1 restored as version 3 |`);
  });

  it('names the health condition as the trigger of a backend crash with no change, and the people who fixed it', async () => {
    const harness = await openAt(dialect, at('09:50:00'));
    const { store } = harness;
    const health = (kind: string, reason: string, time: number) => {
      setClock(time);
      return appendEvent(store, { kind: EVENT_KINDS.healthTransition, actor: 'health', subject: 'pool:portal/web-3', data: { pool: 'portal', backend: 'web-3', kind, reason, at: time } });
    };
    await health('ejected', '5 consecutive connection failures', at('10:00:00'));
    const errors: RuleFinding = {
      rule: 'errors',
      severity: 'critical',
      pool: 'portal',
      backend: 'web-3',
      backends: ['web-3'],
      summary: 'web-3: 38% of 410 requests failed with 5xx or upstream errors over the last 10 s (limit 5%)',
      evidence: { errorRate: 0.38, requests: 410 },
      forMs: 5000,
    };
    const pending = await transition(store, await diagnosed(store, errors, 'pending', at('10:00:01'), undefined), undefined, 'pending', at('10:00:01'));
    await health('down', '3 failed checks in a row, last: connection refused', at('10:00:05'));
    const firing = await transition(store, { ...(await diagnosed(store, errors, 'firing', pending.startedAt, at('10:00:06'))), state: 'pending' }, 'pending', 'firing', at('10:00:06'));
    const { incident } = await openOrJoinIncident(store, firing, at('10:00:06'));
    setClock(at('10:00:30'));
    await markMilestone(store, incident.id, 'acknowledged', 'ana', undefined, at('10:00:30'));
    setClock(at('10:01:10'));
    await markMilestone(store, incident.id, 'identified', 'ana', 'web-3 ran out of memory', at('10:01:10'));

    // While it is open the report says so and reads up to now.
    setClock(at('10:01:20'));
    const open = await buildIncidentReport(store, incident.id);
    expect(open.summary).toMatchObject({ status: 'open', endedAt: null, durationMs: 79_000 });
    expect(renderIncidentReportMarkdown(open)).toContain('- **Duration:** open since 10:00:01 UTC on 2024-05-01 (1 min 19 s so far).');

    setClock(at('10:01:50'));
    await markMilestone(store, incident.id, 'mitigated', 'ana', 'restarted web-3 with more memory', at('10:01:50'));
    await health('up', '2 passed checks in a row', at('10:02:00'));
    const resolved = await transition(store, firing, 'firing', 'resolved', at('10:02:05'));
    await alertResolved(store, resolved, at('10:02:05'));

    setClock(at('10:10:00'));
    const report = await buildIncidentReport(store, incident.id);
    const logged = await listEvents(store, { since: report.window.since, until: report.window.until, limit: 1000 });

    expect(report.trigger.kind).toBe('health');
    expect(report.trigger.text).toBe('Backend web-3 ejected at 10:00:00 UTC and down at 10:00:05 UTC (5 consecutive connection failures). It began 1.0 s before the first sign.');
    expect(report.rootCauseCandidates.filter((candidate) => candidate.kind === 'config_change')).toEqual([]);
    expect(report.rootCauseCandidates[0]!.evidence).toEqual(
      expect.arrayContaining(['10:00:00 UTC backend web-3 ejected: 5 consecutive connection failures', '10:00:05 UTC backend web-3 down: 3 failed checks in a row, last: connection refused']),
    );
    const pendingEvent = alertEvent(logged, 'pending');
    const firingEvent = alertEvent(logged, 'firing');
    expect(report.detection.secondsAfterFirstSign).toBe((firingEvent.at - pendingEvent.at) / 1000);
    expect(report.detection.acknowledged).toMatchObject({ by: 'ana', secondsAfterFirstSign: 29 });
    expect(report.detection.identified).toMatchObject({ by: 'ana', note: 'web-3 ran out of memory' });
    expect(report.resolution).toMatchObject({ mitigatedAt: at('10:01:50'), by: 'ana', how: 'restarted web-3 with more memory', rollbacks: [], secondsToResolve: 124 });
    expect(report.impact).toMatchObject({ requests: 0, slowedShare: null, failedShare: null });
    expect(report.timeline.map((entry) => entry.seq)).toEqual([...logged].sort((a, b) => a.at - b.at || a.seq - b.seq).map((event) => event.seq));

    const markdown = renderIncidentReportMarkdown(report);
    expect(headingsOf(markdown)).toEqual(HEADINGS);
    expect(markdown).toContain('- **Identified:** 10:01:10 UTC by ana, 1 min 9 s after the first sign: web-3 ran out of memory.');
    expect(markdown).toContain('- **Mitigated:** 10:01:50 UTC by ana, 1 min 49 s after the first sign: restarted web-3 with more memory.');
    expect(markdown).toContain('| 10:00:05 | +4.0 s | web-3 (pool portal) down: 3 failed checks in a row, last: connection refused |');
    expect(markdown).toContain(`| 10:01:50 | +1 min 49 s | incident ${incident.id} mitigated by ana: restarted web-3 with more memory |`);
    expect(markdown).toContain('No requests to pool portal were counted while the incident was open.');
  });

  it('refuses an incident that does not exist with EK_INCIDENT_NOT_FOUND', async () => {
    const harness = await openAt(dialect, at('09:50:00'));
    const error = await buildIncidentReport(harness.store, 99).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(IncidentError);
    expect(error).toMatchObject({ code: 'EK_INCIDENT_NOT_FOUND' });
  });
});
