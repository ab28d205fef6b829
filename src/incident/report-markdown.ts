import type { IncidentReport, ReportAlert, ReportMark, ReportRollback, TimelineEntry } from './incident-report.js';
import { relativeTo, type RootCauseCandidate } from './report-candidates.js';
import { formatCount, formatDuration, formatOffset, formatShare, formatUtcDate, formatUtcDateTime, formatUtcTime, listOfNames } from './report-format.js';

// The postmortem draft in Markdown, in the order of the postmortem of 2024-05-01 and the common
// templates (Google SRE book, PagerDuty): what happened and how bad, what triggered it and what else
// could have, how it was seen and fixed, the timeline with real times, then the sections people write.

const CAUSE_NAMES: Readonly<Record<RootCauseCandidate['kind'], string>> = {
  config_change: 'Config change',
  health: 'Health',
  persistence: 'Sticky sessions',
  traffic_spike: 'Traffic spike',
  traffic_drop: 'Traffic drop',
};

/** The report as a Markdown document (`incident report ID`, the default format). */
export function renderIncidentReportMarkdown(report: IncidentReport): string {
  const sections = [
    `# Incident ${report.incident.id}: ${oneLine(report.summary.title)}`,
    intro(report),
    summarySection(report),
    impactSection(report),
    `## Trigger\n\n${report.trigger.text}`,
    candidatesSection(report),
    detectionSection(report),
    resolutionSection(report),
    timelineSection(report),
    humanSection('Contributing factors', report.humanSections.contributingFactors, 'For the people who ran the incident: what made it possible or worse beyond the trigger (the other candidates above are a place to start).'),
    humanSection('Lessons learned', report.humanSections.lessonsLearned, 'What went well, what went badly, where we got lucky.'),
    humanSection('Action items', report.humanSections.actionItems, 'Each with an owner, a due date and whether it prevents, detects or mitigates a recurrence.'),
  ];
  return `${sections.join('\n\n')}\n`;
}

function intro(report: IncidentReport): string {
  const { window } = report;
  return (
    `_Postmortem draft written by evenkeel on ${formatUtcDateTime(report.generatedAt)} from the incident's milestones and counters and ` +
    `${formatCount(report.timeline.length)} events of the audit log (${formatUtcDateTime(window.since)} to ${formatUtcDateTime(window.until)}). ` +
    'Times are UTC; offsets count from the first sign. The last three sections are for the people who ran the incident._'
  );
}

function summarySection(report: IncidentReport): string {
  const { summary, detection, resolution } = report;
  const lines = [`- **Duration:** ${durationSentence(report)}`];
  lines.push(`- **Impact:** ${summary.impact}`);
  const backends = summary.backends.length === 0 ? '' : `; ${listOfNames(summary.backends)}`;
  lines.push(`- **Pools and backends affected:** ${summary.pools.length === 0 ? 'node-wide' : `pool ${listOfNames(summary.pools)}`}${backends}.`);
  lines.push(`- **Root cause:** ${summary.rootCause}`);
  const firstAlert = detection.alerts[0];
  lines.push(
    `- **Detection:** ${detection.secondsAfterFirstSign === null || firstAlert === undefined ? 'no alert fired.' : `alert ${firstAlert.fingerprint} fired ${formatDuration(detection.secondsAfterFirstSign * 1000)} after the first sign.`}`,
  );
  lines.push(`- **Resolution:** ${resolutionSentence(report)}`);
  if (resolution.resolvedAt === null) lines.push('- **Status:** still open.');
  return `## Summary\n\n${lines.join('\n')}`;
}

function durationSentence(report: IncidentReport): string {
  const { startedAt, endedAt, durationMs } = report.summary;
  if (endedAt === null) return `open since ${formatUtcTime(startedAt)} UTC on ${formatUtcDate(startedAt)} (${formatDuration(durationMs)} so far).`;
  const sameDay = formatUtcDate(startedAt) === formatUtcDate(endedAt);
  return sameDay
    ? `from ${formatUtcTime(startedAt)} to ${formatUtcTime(endedAt)} UTC on ${formatUtcDate(startedAt)} (${formatDuration(durationMs)}).`
    : `from ${formatUtcDateTime(startedAt)} to ${formatUtcDateTime(endedAt)} (${formatDuration(durationMs)}).`;
}

function resolutionSentence(report: IncidentReport): string {
  const { resolution } = report;
  const parts: string[] = [];
  if (resolution.mitigatedAt !== null) {
    parts.push(`mitigated ${formatDuration((resolution.secondsToMitigate ?? 0) * 1000)} after the first sign${resolution.by === null ? '' : ` by ${resolution.by}`}${resolution.how === null ? '' : `: ${resolution.how}`}`);
  } else parts.push('no mitigation recorded');
  parts.push(resolution.resolvedAt === null ? 'not resolved yet' : `resolved ${formatDuration((resolution.secondsToResolve ?? 0) * 1000)} after the first sign`);
  return `${capitalize(parts.join('; '))}.`;
}

function impactSection(report: IncidentReport): string {
  const { impact, durations } = report;
  const lines = [`## Impact\n\n${report.summary.impact}`];
  if (impact.requests > 0) {
    const rows = [
      `| Backend | Requests | Share of requests | Slowed (over ${formatCount(impact.sloMs)} ms) | Failed |`,
      '|---|---:|---:|---:|---:|',
      `| **all** | ${formatCount(impact.requests)} | 100% | ${countAndShare(impact.slowed, impact.slowedShare)} | ${countAndShare(impact.failed, impact.failedShare)} |`,
      ...impact.backends.map(
        (backend) =>
          `| ${cell(backend.backend)} | ${formatCount(backend.requests)} | ${formatShare(backend.requestShare ?? 0)} | ${countAndShare(backend.slowed, backend.slowedShare)} | ${countAndShare(backend.failed, backend.failedShare)} |`,
      ),
    ];
    lines.push(rows.join('\n'));
  }
  const times = [
    ['detect', durations.toDetectMs],
    ['mitigate', durations.toMitigateMs ?? msOrUndefined(report.resolution.secondsToMitigate)],
    ['resolve', durations.toResolveMs],
  ] as const;
  lines.push(`Time to ${times.map(([what, ms]) => `${what}: ${ms === undefined ? 'not reached' : formatDuration(ms)}`).join('; time to ')}.`);
  return lines.join('\n\n');
}

function countAndShare(count: number, share: number | null): string {
  return share === null ? formatCount(count) : `${formatCount(count)} (${formatShare(share)})`;
}

function candidatesSection(report: IncidentReport): string {
  const candidates = report.rootCauseCandidates;
  if (candidates.length === 0) {
    return `## Root cause candidates\n\n_None: no config change or health transition in the ${formatDuration(report.window.lookBackMs)} before the first sign, and the alerts named no condition._`;
  }
  const lines = [
    `## Root cause candidates\n\nChanges and conditions of the ${formatDuration(report.window.lookBackMs)} before the first sign, most likely first (scores from 0 to 1, as the monitor's diagnosis ranks causes).`,
  ];
  const items = candidates.map((candidate, index) => {
    const named = candidate.isNamedByAlert ? ', named by an alert' : '';
    const head = `${index + 1}. **${CAUSE_NAMES[candidate.kind]}${candidate.changeId === undefined ? '' : ` ${candidate.changeId}`}** (score ${candidate.score}${named}, ${relativeTo(candidate.at, report.detection.firstSignAt)}): ${oneLine(candidate.summary)}`;
    return [head, ...candidate.evidence.map((line) => `   - ${oneLine(line)}`)].join('\n');
  });
  lines.push(items.join('\n'));
  return lines.join('\n\n');
}

function detectionSection(report: IncidentReport): string {
  const { detection } = report;
  const lines = [`- **First sign:** ${formatUtcTime(detection.firstSignAt)} UTC, ${detection.firstSign}.`];
  lines.push(
    detection.detectedAt === null
      ? '- **Detected:** no alert fired.'
      : `- **Detected:** ${formatUtcTime(detection.detectedAt)} UTC, ${formatDuration((detection.secondsAfterFirstSign ?? 0) * 1000)} after the first sign, when the first alert fired.`,
  );
  lines.push(markLine('Acknowledged', detection.acknowledged));
  lines.push(markLine('Identified', detection.identified));
  const parts = [`## Detection\n\n${lines.join('\n')}`];
  if (detection.alerts.length > 0) {
    parts.push(
      [
        '| Alert | Pending | Firing | After first sign | Resolved |',
        '|---|---|---|---:|---|',
        ...detection.alerts.map((alert) => `| ${cell(alert.fingerprint)} | ${time(alert.pendingAt)} | ${time(alert.firingAt)} | ${afterFirstSign(alert)} | ${time(alert.resolvedAt)} |`),
      ].join('\n'),
    );
    const first = detection.alerts[0]!;
    if (first.summary !== '') parts.push(`What ${first.fingerprint} said when it fired:\n\n> ${oneLine(first.summary)}`);
  }
  return parts.join('\n\n');
}

function markLine(label: string, mark: ReportMark | null): string {
  if (mark === null) return `- **${label}:** not recorded.`;
  return `- **${label}:** ${formatUtcTime(mark.at)} UTC by ${mark.by}, ${formatDuration(mark.secondsAfterFirstSign * 1000)} after the first sign${mark.note === null ? '' : `: ${oneLine(mark.note)}`}.`;
}

function afterFirstSign(alert: ReportAlert): string {
  return alert.secondsAfterFirstSign === null ? '' : formatDuration(alert.secondsAfterFirstSign * 1000);
}

function resolutionSection(report: IncidentReport): string {
  const { resolution } = report;
  const lines: string[] = [];
  if (resolution.mitigatedAt === null) {
    lines.push('- **Mitigated:** not recorded: no rollback was applied after the first sign and nobody marked the incident mitigated.');
  } else {
    const by = resolution.by === null ? '' : ` by ${resolution.by}`;
    lines.push(`- **Mitigated:** ${formatUtcTime(resolution.mitigatedAt)} UTC${by}, ${formatDuration((resolution.secondsToMitigate ?? 0) * 1000)} after the first sign${resolution.how === null ? '' : `: ${oneLine(resolution.how)}`}.`);
  }
  // The rollback that mitigated it is named above (the node's mark says "(change 43)").
  const isMitigation = (rollback: ReportRollback) => rollback.at === resolution.mitigatedAt || (resolution.how ?? '').includes(`(change ${rollback.rollbackChangeId})`);
  for (const rollback of resolution.rollbacks.filter((candidate) => !isMitigation(candidate))) {
    lines.push(`- **Rollback:** ${formatUtcTime(rollback.at)} UTC by ${rollback.by}: change ${rollback.rollbackChangeId} restored version ${rollback.restoredVersion ?? '?'}${rollback.undoneChangeIds.length === 0 ? '' : `, undoing change ${rollback.undoneChangeIds.join(', ')}`}.`);
  }
  lines.push(
    resolution.resolvedAt === null
      ? '- **Resolved:** not yet; the incident is still open.'
      : `- **Resolved:** ${formatUtcTime(resolution.resolvedAt)} UTC, ${formatDuration((resolution.secondsToResolve ?? 0) * 1000)} after the first sign, when every related alert had resolved.`,
  );
  return `## Resolution\n\n${lines.join('\n')}`;
}

function timelineSection(report: IncidentReport): string {
  const spansDays = formatUtcDate(report.window.since) !== formatUtcDate(report.window.until);
  const at = (entry: TimelineEntry) => (spansDays ? `${formatUtcDate(entry.at)} ${formatUtcTime(entry.at)}` : formatUtcTime(entry.at));
  const rows = [
    '| Time (UTC) | From first sign | What |',
    '|---|---:|---|',
    ...report.timeline.map((entry) => `| ${at(entry)} | ${formatOffset(entry.offsetMs)} | ${cell(entry.text)} |`),
  ];
  const note = report.timelineTruncated ? `\n\n_The timeline stops after ${formatCount(report.timeline.length)} events; see \`evenkeel events\` for the rest._` : '';
  return `## Timeline\n\n${report.timeline.length === 0 ? '_No events in the window._' : rows.join('\n')}${note}`;
}

function humanSection(heading: string, items: readonly string[], placeholder: string): string {
  return `## ${heading}\n\n${items.length === 0 ? `_${placeholder}_` : items.map((item) => `- ${oneLine(item)}`).join('\n')}`;
}

function time(at: number | null): string {
  return at === null ? '' : formatUtcTime(at);
}

function msOrUndefined(seconds: number | null): number | undefined {
  return seconds === null ? undefined : seconds * 1000;
}

/** Text inside a table cell: no line breaks, pipes escaped. */
function cell(text: string): string {
  return oneLine(text).replace(/\|/g, '\\|');
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

function capitalize(text: string): string {
  return text === '' ? text : text[0]!.toUpperCase() + text.slice(1);
}
