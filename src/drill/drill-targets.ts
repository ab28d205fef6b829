import type { DrillEvent, DrillFigures, DrillTargetResult, DrillTimelineEntry } from './drill-result.js';
import type { Scenario } from './scenario-schema.js';

// Judging a drill: each target of the scenario against what was measured, in words a reader of the
// report understands ("<= 10 s" / "4.2 s"), and the node's audit events turned into timeline lines.

/** What the runner measured besides the figures, for targets that are not figures. */
export interface DrillObservations {
  /** Rules of expect.silent that fired from the fault on (or were firing at it). */
  readonly silentFired: readonly string[];
  readonly liveVersionAtFault: number | undefined;
  readonly liveVersionAtEnd: number | undefined;
  /** The top cause kind of the detecting alert. */
  readonly topCause: string | undefined;
}

export function judgeTargets(scenario: Scenario, figures: DrillFigures, seen: DrillObservations): DrillTargetResult[] {
  const targets = scenario.targets;
  const results: DrillTargetResult[] = [];
  const seconds = (value: number | undefined) => (value === undefined ? 'never' : `${value.toFixed(1)} s`);
  const percent = (share: number) => `${(share * 100).toFixed(1)}%`;
  if (targets.detect_s !== undefined) {
    results.push({ name: 'detect_s', expected: `${scenario.expect.alert.join(' or ')} fires <= ${targets.detect_s} s`, measured: seconds(figures.detectS), passed: figures.detectS !== undefined && figures.detectS <= targets.detect_s });
  }
  if (targets.mitigate_s !== undefined) {
    const how = scenario.mitigation.kind === 'auto_rollback' ? 'rolled back' : scenario.mitigation.kind === 'manual' ? `${scenario.mitigation.action.replace('_', ' ')}` : 'mitigated';
    results.push({ name: 'mitigate_s', expected: `${how} <= ${targets.mitigate_s} s`, measured: seconds(figures.mitigateS), passed: figures.mitigateS !== undefined && figures.mitigateS <= targets.mitigate_s });
  }
  if (targets.slowed_share !== undefined) {
    results.push({ name: 'slowed_share', expected: `<= ${percent(targets.slowed_share)} slower than ${scenario.traffic.slo} ms`, measured: `${percent(figures.slowedShare)} (${figures.slowed} of ${figures.requests})`, passed: figures.slowedShare <= targets.slowed_share });
  }
  if (targets.failed_share !== undefined) {
    results.push({ name: 'failed_share', expected: `<= ${percent(targets.failed_share)} failed`, measured: `${percent(figures.failedShare)} (${figures.failed} of ${figures.requests})`, passed: figures.failedShare <= targets.failed_share });
  }
  if (targets.diagnosis === true) {
    results.push({ name: 'diagnosis', expected: `names ${scenario.expect.cause}`, measured: seen.topCause ?? (figures.detectS === undefined ? 'no alert' : 'no cause ranked'), passed: figures.diagnosisCorrect === true });
  }
  if (targets.no_alerts === true) {
    results.push({ name: 'no_alerts', expected: `no ${scenario.expect.silent.join(', ')} alert`, measured: seen.silentFired.length === 0 ? 'none fired' : `${[...new Set(seen.silentFired)].join(', ')} fired`, passed: seen.silentFired.length === 0 });
  }
  if (targets.config_unchanged === true) {
    const unchanged = seen.liveVersionAtFault !== undefined && seen.liveVersionAtFault === seen.liveVersionAtEnd;
    results.push({ name: 'config_unchanged', expected: `live version stays ${seen.liveVersionAtFault ?? '?'}`, measured: `version ${seen.liveVersionAtEnd ?? '?'}`, passed: unchanged });
  }
  return results;
}

/** The node's side of the timeline: changes, alerts, health and incidents from its audit log. */
export function eventTimeline(events: readonly DrillEvent[], faultAt: number | undefined): DrillTimelineEntry[] {
  const entries: DrillTimelineEntry[] = [];
  for (const event of events) {
    const text = describeEvent(event);
    if (text === undefined) continue;
    entries.push({ at: event.at, offsetS: faultAt === undefined ? 0 : round1((event.at - faultAt) / 1000), source: 'evenkeel', kind: event.kind, text });
  }
  return entries;
}

function describeEvent(event: DrillEvent): string | undefined {
  const data = (event.data ?? {}) as Record<string, unknown>;
  const diff = Array.isArray(data.diff) ? `: ${(data.diff as unknown[]).map(String).join('; ')}` : '';
  switch (event.kind) {
    case 'change.proposed':
      return `${event.actor} proposed ${event.subject}${diff}`;
    case 'change.approved':
      return `${event.actor} approved ${event.subject}`;
    case 'change.rejected':
      return `${event.actor} rejected ${event.subject}${Array.isArray(data.findings) ? `: ${(data.findings as { message?: string }[]).map((finding) => finding.message).join('; ')}` : ''}`;
    case 'change.applied':
      return `${event.actor} applied ${event.subject} as version ${String(data.version)}${data.rollbackOf === null || data.rollbackOf === undefined ? '' : ` (rollback to version ${String(data.rollbackOf)})`}`;
    case 'change.rolled_back':
      return `${event.subject} rolled back by change ${String(data.byChange)} (actor ${event.actor})`;
    case 'change.failed':
      return `${event.subject} failed: ${String(data.error)}`;
    case 'alert.state_changed':
      return `alert ${event.subject.replace(/^alert:/, '')} ${String(data.from ?? 'new')} -> ${String(data.to)}${typeof data.summary === 'string' && data.to === 'firing' ? `: ${data.summary}` : ''}`;
    case 'health.transition':
      return `health: ${event.subject.replace(/^pool:/, '')} ${String(data.to ?? data.kind ?? data.state ?? 'changed')}`;
    default:
      if (event.kind.startsWith('incident.')) return `${event.kind.replace('incident.', 'incident ')} ${event.subject}`;
      return undefined;
  }
}

export function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
