import type { EventTable } from '../store/index.js';

/** One entry of the audit log as callers see it. */
export interface AuditEvent {
  readonly seq: number;
  /** Epoch milliseconds, the appending node's clock. Order is `seq`, not `at`. */
  readonly at: number;
  readonly kind: string;
  readonly actor: string;
  readonly subject: string;
  readonly data: unknown;
  readonly prevHash: string;
  readonly hash: string;
}

/**
 * Kinds the control plane appends. Free-form kinds are allowed (later issues add their own); these are
 * named so producers and the `events` command agree on spelling.
 */
export const EVENT_KINDS = {
  changeProposed: 'change.proposed',
  changeApproved: 'change.approved',
  changeRejected: 'change.rejected',
  changeApplied: 'change.applied',
  changeRolledBack: 'change.rolled_back',
  changeFailed: 'change.failed',
  /** The first config version of a store (the node's config file on first start). */
  configInitial: 'config.initial',
  tokenCreated: 'token.created',
  tokenRevoked: 'token.revoked',
  reloadRejected: 'config.reload_rejected',
  healthTransition: 'health.transition',
  alertStateChanged: 'alert.state_changed',
  /** An incident opened (data: incident id, pool, title, first alert). */
  incidentOpened: 'incident.opened',
  /** An incident reached a milestone: acknowledged, identified, mitigated (data: milestone, by, note). */
  incidentMilestone: 'incident.milestone',
  /** Every related alert resolved (data: incident id, durations). */
  incidentResolved: 'incident.resolved',
  /** A drill run was stored (data: drill run id, scenario, verdict). */
  drillRecorded: 'drill.recorded',
} as const;

export function toAuditEvent(row: EventTable): AuditEvent {
  return {
    seq: row.seq,
    at: row.at,
    kind: row.kind,
    actor: row.actor,
    subject: row.subject,
    data: JSON.parse(row.data_json) as unknown,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
