// The vocabulary of the monitor room, shared by the rules, the alert lifecycle, the diagnosis, the
// notifiers, the node (which stores alerts and writes their transitions to the audit log) and the
// control plane's automatic rollback.

/** Every rule the monitor evaluates. An alert's identity is its rule, pool and backend. */
export const ALERT_RULES = [
  'skew',
  'inflight_skew',
  'latency',
  'relative_latency',
  'errors',
  'capacity',
  'flapping',
  'traffic_spike',
  'traffic_drop',
  'persistence_concentration',
] as const;
export type AlertRule = (typeof ALERT_RULES)[number];

export type AlertSeverity = 'critical' | 'warning' | 'info';
export type AlertState = 'pending' | 'firing' | 'resolved';

/** Numbers behind an alert, by name ("observedShare.web-1": 0.41, "rps": 1020). */
export type Evidence = Readonly<Record<string, number | string>>;

/**
 * What one rule sees in one evaluation: the condition holds now. The lifecycle turns a finding that
 * keeps holding for the rule's `for` duration into a firing alert.
 */
export interface RuleFinding {
  readonly rule: AlertRule;
  readonly severity: AlertSeverity;
  /** Undefined for node-wide rules (traffic). */
  readonly pool: string | undefined;
  /** Set for per-backend conditions (latency of one backend, errors of one backend). */
  readonly backend: string | undefined;
  /** The backends the finding is about (for skew: the overloaded ones, busiest first). */
  readonly backends: readonly string[];
  /** One line with the numbers: "web-1 and web-2 carry 81% of requests, expected 40%". */
  readonly summary: string;
  readonly evidence: Evidence;
  /** How long the condition must hold before firing, from the rule's config. */
  readonly forMs: number;
}

export type CauseKind = 'config_change' | 'persistence' | 'health' | 'traffic_spike' | 'traffic_drop';

/** One likely cause of an alert, ranked by `score` (highest first). */
export interface Cause {
  readonly kind: CauseKind;
  /** "change 42 (automation 'weights.sh', 09:58) raised web-1 and web-2 weights 100 -> 400" */
  readonly summary: string;
  /** 0..1; how strongly the evidence points at this cause. */
  readonly score: number;
  /** For config_change: the change request id and the version it applied. */
  readonly changeId?: number;
  readonly version?: number;
}

/** What the node did about an alert on its own (automatic rollback). */
export interface AlertAction {
  readonly kind: 'rollback';
  readonly at: number;
  /** "rolled back change 42: version 7 restored as version 9 (change 43)" */
  readonly summary: string;
  readonly changeId?: number;
  readonly rollbackChangeId?: number;
}

/** An alert as the node, the API, the notifiers and the CLI see it. */
export interface Alert {
  /** `${rule}/${pool ?? '*'}/${backend ?? '*'}`: at most one unresolved alert per fingerprint. */
  readonly fingerprint: string;
  readonly rule: AlertRule;
  readonly severity: AlertSeverity;
  readonly pool: string | undefined;
  readonly backend: string | undefined;
  readonly state: AlertState;
  /** When the condition was first seen (the alert became pending). Epoch ms. */
  readonly startedAt: number;
  readonly firingAt: number | undefined;
  readonly resolvedAt: number | undefined;
  /** The diagnosis in one line, for example the postmortem's sentence in docs/monitoring.md. */
  readonly summary: string;
  /** The latest numbers while pending or firing; the last ones seen when resolved. */
  readonly evidence: Evidence;
  readonly backends: readonly string[];
  /** Ranked likely causes, filled when the alert fires. */
  readonly causes: readonly Cause[];
  readonly actions: readonly AlertAction[];
}

/** One move of the lifecycle: pending -> firing -> resolved, or pending -> resolved (never fired). */
export interface AlertTransition {
  readonly alert: Alert;
  readonly from: AlertState | undefined;
  readonly to: AlertState;
  readonly at: number;
}

/**
 * An entry of the event log as the diagnosis reads it. Structurally a subset of control's AuditEvent
 * (monitor sits above control, so it cannot import it): the node passes audit events straight in.
 * The kinds it reads: change.applied (data: changeId, version, diff: string[]), change.proposed
 * (data: source, ...), health.transition, and the actor's token name in `actor`.
 */
export interface ContextEvent {
  readonly at: number;
  readonly kind: string;
  readonly actor: string;
  readonly subject: string;
  readonly data: unknown;
}

export function alertFingerprint(rule: AlertRule, pool: string | undefined, backend: string | undefined): string {
  return `${rule}/${pool ?? '*'}/${backend ?? '*'}`;
}
