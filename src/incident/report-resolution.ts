import type { AuditEvent } from '../control/index.js';
import type { Incident } from './incident.js';
import { MITIGATED_BY_RESOLVE_NOTE } from './incident-records.js';
import { fieldOf, numberField } from './report-events.js';

// How the incident ended: the mitigation (the milestone a person or the node marked, else the rollback
// the audit log shows) and the resolution, with the rollbacks applied while it was open.

export interface ReportRollback {
  readonly rollbackChangeId: number;
  readonly restoredVersion: number | null;
  readonly appliedVersion: number | null;
  readonly undoneChangeIds: readonly number[];
  readonly at: number;
  readonly by: string;
}

export interface ReportResolution {
  readonly mitigatedAt: number | null;
  /** "rolled back change 7: version 1 restored as version 3 (change 8)". */
  readonly how: string | null;
  readonly by: string | null;
  readonly secondsToMitigate: number | null;
  readonly resolvedAt: number | null;
  readonly secondsToResolve: number | null;
  /** Rollbacks applied from the first sign to the end of the window. */
  readonly rollbacks: readonly ReportRollback[];
}

/**
 * Mitigation as the incident recorded it (the milestone, with what was done), else the first rollback
 * of the incident's pool applied from the first sign to the resolution, as the audit log shows it.
 */
export function resolutionOf(incident: Incident, events: readonly AuditEvent[], firstSignAt: number): ReportResolution {
  const rollbacks: ReportRollback[] = [];
  const mitigating: ReportRollback[] = [];
  for (const event of events) {
    if (event.kind !== 'change.applied' || event.at < firstSignAt) continue;
    const restoredVersion = numberField(event.data, 'rollbackOf');
    const rollbackChangeId = numberField(event.data, 'changeId');
    if (restoredVersion === undefined || rollbackChangeId === undefined) continue;
    const undoneChangeIds = events
      .filter((other) => other.kind === 'change.rolled_back' && numberField(other.data, 'byChange') === rollbackChangeId)
      .map((other) => numberField(other.data, 'changeId'))
      .filter((changeId): changeId is number => changeId !== undefined);
    rollbacks.push({ rollbackChangeId, restoredVersion, appliedVersion: numberField(event.data, 'version') ?? null, undoneChangeIds, at: event.at, by: event.actor });
    if (touchesPool(event, incident.pool)) mitigating.push(rollbacks[rollbacks.length - 1]!);
  }
  // Only a rollback of the incident's pool, before it resolved, can have mitigated it.
  const resolved = incident.milestones.resolved;
  const first = mitigating.find((rollback) => rollback.at <= (resolved?.at ?? Number.POSITIVE_INFINITY));
  const recorded = incident.milestones.mitigated;
  // The incident takes "mitigated" from its resolution when nobody marked it; a rollback before that
  // is what mitigated it.
  const isOnlyResolved = recorded?.note === MITIGATED_BY_RESOLVE_NOTE && first !== undefined && first.at <= recorded.at;
  const mark = isOnlyResolved ? undefined : recorded;
  const mitigatedAt = mark?.at ?? first?.at ?? null;
  const how = mark === undefined ? (first === undefined ? null : rollbackWords(first)) : (mark.note ?? null);
  return {
    mitigatedAt,
    how,
    by: mark?.by ?? first?.by ?? null,
    secondsToMitigate: mitigatedAt === null ? null : seconds(mitigatedAt - firstSignAt),
    resolvedAt: resolved?.at ?? null,
    secondsToResolve: resolved === undefined ? null : seconds(resolved.at - firstSignAt),
    rollbacks,
  };
}

/** Whether a change's diff touches the pool (any change does for a node-wide incident). */
function touchesPool(event: AuditEvent, pool: string): boolean {
  if (pool === '*') return true;
  const diff = fieldOf(event.data, 'diff');
  return Array.isArray(diff) && diff.some((line) => typeof line === 'string' && (line.startsWith(`pools.${pool}:`) || line.startsWith(`pools.${pool}.`) || line.startsWith(`pools.${pool} `)));
}

/** "rolled back change 7: version 1 restored as version 3 (change 8)", as the alert's action says it. */
export function rollbackWords(rollback: ReportRollback): string {
  const undone = rollback.undoneChangeIds.length === 0 ? 'rolled back' : `rolled back change ${rollback.undoneChangeIds.join(', ')}:`;
  const restored = rollback.restoredVersion === null ? '' : ` version ${rollback.restoredVersion} restored`;
  const as = rollback.appliedVersion === null ? '' : ` as version ${rollback.appliedVersion}`;
  return `${undone}${restored}${as} (change ${rollback.rollbackChangeId})`;
}


function seconds(ms: number): number {
  return ms / 1000;
}
