import type { AuditEvent } from '../control/index.js';

// Reading the audit log for an incident report: every event of the report's window in words, for the
// timeline, and the typed fields the report needs from change, alert and health events. The data
// shapes are those their writers append (change service, alert records, the node's health log); a
// field that is missing or of another type reads as undefined rather than failing the report, because
// an old log or another node's version may write a little less.

export function fieldOf(data: unknown, key: string): unknown {
  return typeof data === 'object' && data !== null && !Array.isArray(data) ? (data as Record<string, unknown>)[key] : undefined;
}

export function stringField(data: unknown, key: string): string | undefined {
  const value = fieldOf(data, key);
  return typeof value === 'string' ? value : undefined;
}

export function numberField(data: unknown, key: string): number | undefined {
  const value = fieldOf(data, key);
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function stringsField(data: unknown, key: string): string[] {
  const value = fieldOf(data, key);
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/** The fingerprint of an alert event ("skew/portal/*"), from its subject `alert:<fingerprint>`. */
export function alertFingerprintOf(event: AuditEvent): string {
  return event.subject.startsWith('alert:') ? event.subject.slice('alert:'.length) : event.subject;
}

/** At most this many diff lines are quoted in one timeline entry; the root-cause evidence has them all. */
const DIFF_LINES_IN_TIMELINE = 3;

/** One event in words, for the timeline's "What" column. */
export function describeEvent(event: AuditEvent): string {
  const { data } = event;
  const changeId = numberField(data, 'changeId');
  const change = changeId === undefined ? event.subject : `change ${changeId}`;
  switch (event.kind) {
    case 'change.proposed': {
      const source = stringField(data, 'source');
      const reason = stringField(data, 'reason');
      const rollbackOf = numberField(data, 'rollbackOf');
      const what = rollbackOf === undefined ? `${change} proposed` : `${change} proposed: roll back to version ${rollbackOf}`;
      const waits = fieldOf(data, 'needsApproval') === true ? '; waits for an approver' : '';
      return `${what} by ${event.actor}${source === undefined ? '' : ` (${source})`}${reason === undefined ? '' : `: "${reason}"`}${diffPhrase(data)}${waits}`;
    }
    case 'change.approved':
    case 'change.rejected': {
      const verb = event.kind === 'change.approved' ? 'approved' : 'rejected';
      const comment = stringField(data, 'comment');
      const findings = fieldOf(data, 'findings');
      const why = comment !== undefined ? `: "${comment}"` : Array.isArray(findings) && findings.length > 0 ? `: ${findingMessages(findings)}` : '';
      return `${change} ${verb} by ${event.actor}${why}`;
    }
    case 'change.applied': {
      const version = numberField(data, 'version');
      const rollbackOf = numberField(data, 'rollbackOf');
      if (rollbackOf !== undefined) return `rollback ${change} applied by ${event.actor}: version ${rollbackOf} restored${version === undefined ? '' : ` as version ${version}`}`;
      return `${change} applied by ${event.actor}${version === undefined ? '' : ` as version ${version}`}${diffPhrase(data)}`;
    }
    case 'change.rolled_back': {
      const byChange = numberField(data, 'byChange');
      const toVersion = numberField(data, 'toVersion');
      const how = byChange === undefined ? '' : ` (change ${byChange}${toVersion === undefined ? '' : ` restored version ${toVersion}`})`;
      return `${change} rolled back by ${event.actor}${how}`;
    }
    case 'change.failed':
      return `${change} failed to apply: ${stringField(data, 'error') ?? 'the node refused it'}`;
    case 'alert.state_changed': {
      const to = stringField(data, 'to') ?? 'changed';
      const summary = stringField(data, 'summary');
      return `alert ${alertFingerprintOf(event)} ${to}${summary === undefined || summary === '' || to === 'resolved' ? '' : `: ${summary}`}`;
    }
    case 'health.transition': {
      const backend = stringField(data, 'backend') ?? '*';
      const pool = stringField(data, 'pool');
      const who = backend === '*' ? `pool ${pool ?? '?'}` : `${backend}${pool === undefined ? '' : ` (pool ${pool})`}`;
      const reason = stringField(data, 'reason');
      return `${who} ${(stringField(data, 'kind') ?? 'changed').replace('_', ' ')}${reason === undefined ? '' : `: ${reason}`}`;
    }
    case 'incident.opened': {
      // The title is the first alert's summary, already in the timeline and the report's heading.
      const pool = stringField(data, 'pool');
      const alert = stringField(data, 'alert');
      return `incident ${incidentIdOf(event)} opened${pool === undefined ? '' : pool === '*' ? ' for the node' : ` for pool ${pool}`}${alert === undefined ? '' : ` by alert ${alert}`}`;
    }
    case 'incident.milestone': {
      const note = stringField(data, 'note');
      return `incident ${incidentIdOf(event)} ${stringField(data, 'milestone') ?? 'milestone'} by ${stringField(data, 'by') ?? event.actor}${note === undefined ? '' : `: ${note}`}`;
    }
    case 'incident.resolved':
      return `incident ${incidentIdOf(event)} resolved: every related alert resolved`;
    case 'config.initial':
      return `version ${numberField(data, 'version') ?? '1'} recorded from the config file`;
    case 'config.reload_rejected':
      return `config file reload rejected (${stringField(data, 'code') ?? 'error'}): ${stringField(data, 'message') ?? ''}`.trimEnd();
    case 'token.created':
    case 'token.revoked':
      return `${event.subject} ${event.kind === 'token.created' ? 'created' : 'revoked'} by ${event.actor}${stringField(data, 'role') === undefined ? '' : ` (role ${stringField(data, 'role')!})`}`;
    case 'drill.recorded':
      return `drill run ${numberField(data, 'id') ?? ''} recorded: ${stringField(data, 'scenario') ?? ''} ${stringField(data, 'verdict') ?? ''}`.replace(/\s+/g, ' ').trim();
    default:
      return `${event.kind}${event.subject === '' ? '' : ` ${event.subject}`} by ${event.actor}`;
  }
}

function diffPhrase(data: unknown): string {
  const diff = stringsField(data, 'diff');
  if (diff.length === 0) return '';
  const shown = diff.slice(0, DIFF_LINES_IN_TIMELINE).join('; ');
  return `; ${shown}${diff.length > DIFF_LINES_IN_TIMELINE ? ` (+${diff.length - DIFF_LINES_IN_TIMELINE} more)` : ''}`;
}

function findingMessages(findings: unknown[]): string {
  return findings
    .map((finding) => stringField(finding, 'message'))
    .filter((message): message is string => message !== undefined)
    .join('; ');
}

function incidentIdOf(event: AuditEvent): string {
  const id = numberField(event.data, 'incidentId') ?? numberField(event.data, 'id');
  if (id !== undefined) return String(id);
  return event.subject.startsWith('incident:') ? event.subject.slice('incident:'.length) : event.subject;
}
