import type { AuditEvent } from '../control/index.js';
import type { Incident } from './incident.js';
import { causesOf, type FiredAlertCauses } from './report-candidates.js';
import { alertFingerprintOf, fieldOf, numberField, stringField } from './report-events.js';

// The incident's alerts as the audit log tells their lives: when each became pending, fired and
// resolved, what it said when it fired and the causes its diagnosis recorded.

export interface AlertLife {
  readonly fingerprint: string;
  rule: string;
  pool: string | null;
  backend: string | null;
  pendingAt: number | null;
  firingAt: number | null;
  resolvedAt: number | null;
  summary: string;
  causes: FiredAlertCauses['causes'];
  evidence: Readonly<Record<string, unknown>>;
}

/**
 * The lives (pending -> firing -> resolved) of the incident's alerts in the window, read from their
 * alert.state_changed events. An alert is the incident's when its fingerprint is in the incident (or,
 * for an incident that lists none, when it is about the incident's pool); a life that ended before
 * the first sign is an earlier, separate trouble.
 */
export function alertLives(events: readonly AuditEvent[], incident: Incident): AlertLife[] {
  const started = incident.milestones.started?.at ?? Number.NEGATIVE_INFINITY;
  const isRelated = (event: AuditEvent) =>
    incident.alerts.length > 0
      ? incident.alerts.includes(alertFingerprintOf(event))
      : incident.pool === '*' || stringField(event.data, 'pool') === incident.pool;
  const open = new Map<string, AlertLife>();
  const lives: AlertLife[] = [];
  for (const event of events) {
    if (event.kind !== 'alert.state_changed' || !isRelated(event)) continue;
    const fingerprint = alertFingerprintOf(event);
    const to = stringField(event.data, 'to');
    // The transition's own time; events written before it was recorded carry only their write time.
    const at = numberField(event.data, 'at') ?? event.at;
    let life = open.get(fingerprint);
    if (life === undefined || to === 'pending') {
      life = {
        fingerprint,
        rule: stringField(event.data, 'rule') ?? fingerprint.split('/')[0]!,
        pool: stringField(event.data, 'pool') ?? null,
        backend: stringField(event.data, 'backend') ?? null,
        pendingAt: to === 'pending' ? at : null,
        firingAt: null,
        resolvedAt: null,
        summary: stringField(event.data, 'summary') ?? '',
        causes: [],
        evidence: {},
      };
      open.set(fingerprint, life);
      lives.push(life);
    }
    if (to === 'firing') {
      life.firingAt = at;
      life.summary = stringField(event.data, 'summary') ?? life.summary;
      life.causes = causesOf(event.data);
      const evidence = fieldOf(event.data, 'evidence');
      life.evidence = typeof evidence === 'object' && evidence !== null ? (evidence as Record<string, unknown>) : {};
    } else if (to === 'resolved') {
      life.resolvedAt = at;
      open.delete(fingerprint);
    }
  }
  return lives.filter((life) => (life.resolvedAt ?? Number.POSITIVE_INFINITY) >= started).sort((a, b) => (a.firingAt ?? Infinity) - (b.firingAt ?? Infinity));
}

