// The vocabulary of incidents (issue 6). An incident opens when an alert fires and closes when every
// related alert has resolved (related: same pool, overlapping in time). It records its milestones as
// they happen, so time to detect, mitigate and resolve follow from them, and the impact counted from
// the node's telemetry while it was open. `incident report` turns one into a postmortem draft.

export const INCIDENT_MILESTONES = ['started', 'detected', 'acknowledged', 'identified', 'mitigated', 'resolved'] as const;
export type IncidentMilestone = (typeof INCIDENT_MILESTONES)[number];

/** Who or what reached a milestone: a person's token name, or 'monitor' / 'node' for the node itself. */
export interface MilestoneMark {
  readonly at: number;
  readonly by: string;
  /** For identified: the cause in words; for mitigated: what was done ("rolled back change 42"). */
  readonly note?: string;
}

/** Requests of the incident's pool while it was open, counted from telemetry every monitor tick. */
export interface IncidentImpact {
  readonly requests: number;
  /** Requests slower than the latency SLO (monitor.latency.p95_ms). */
  readonly slowed: number;
  /** 5xx responses and proxy errors (502/503/504 from evenkeel). */
  readonly failed: number;
  /** The SLO the `slowed` count used, ms. */
  readonly sloMs: number;
  /** Per backend: requests, slowed, failed. */
  readonly backends: Readonly<Record<string, { readonly requests: number; readonly slowed: number; readonly failed: number }>>;
}

export interface Incident {
  readonly id: number;
  /** The pool, or '*' for node-wide alerts (traffic spike or drop). */
  readonly pool: string;
  readonly status: 'open' | 'resolved';
  /** The first firing alert's summary, such as the postmortem's diagnosis sentence. */
  readonly title: string;
  /** started: first sign in the telemetry (the earliest related alert became pending). */
  readonly milestones: Readonly<Partial<Record<IncidentMilestone, MilestoneMark>>>;
  /** Fingerprints of every related alert, in order of firing. */
  readonly alerts: readonly string[];
  /** Backends named by the related alerts. */
  readonly backends: readonly string[];
  readonly impact: IncidentImpact;
  readonly updatedAt: number;
  /** Marks after the first of a milestone (a second acknowledgement, a later cause), oldest first: the first mark wins, later ones are kept. */
  readonly history?: readonly MilestoneEntry[];
}

/** A mark of a milestone as it happened. */
export interface MilestoneEntry extends MilestoneMark {
  readonly milestone: IncidentMilestone;
}

/** Durations that follow from the milestones, ms; undefined until both ends exist. */
export interface IncidentDurations {
  /** started -> detected */
  readonly toDetectMs: number | undefined;
  /** started -> mitigated */
  readonly toMitigateMs: number | undefined;
  /** started -> resolved */
  readonly toResolveMs: number | undefined;
}

export function incidentDurations(incident: Incident): IncidentDurations {
  const { started, detected, mitigated, resolved } = incident.milestones;
  const since = (mark: MilestoneMark | undefined) => (started === undefined || mark === undefined ? undefined : mark.at - started.at);
  return { toDetectMs: since(detected), toMitigateMs: since(mitigated), toResolveMs: since(resolved) };
}
