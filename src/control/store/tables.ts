import type { Generated } from 'kysely';

/**
 * The store's tables as Kysely sees them, identical in both dialects.
 *
 * Conventions (so one set of queries works on SQLite and PostgreSQL):
 * - timestamps are epoch milliseconds in BIGINT columns, read back as JS numbers (safe until year 287396);
 * - JSON is TEXT holding canonical JSON, parsed by the caller (PostgreSQL jsonb would come back parsed,
 *   SQLite text would not; and the audit chain hashes exact text);
 * - booleans are INTEGER 0/1 (better-sqlite3 cannot bind JS booleans).
 */
export interface StoreSchema {
  config_versions: ConfigVersionTable;
  change_requests: ChangeRequestTable;
  approvals: ApprovalTable;
  events: EventTable;
  event_chain_head: EventChainHeadTable;
  tokens: TokenTable;
  alerts: AlertTable;
  nodes: NodeTable;
  telemetry_snapshots: TelemetrySnapshotTable;
  incidents: IncidentTable;
  drill_runs: DrillRunTable;
  shared_secrets: SharedSecretTable;
  telemetry_seconds: TelemetrySecondTable;
}

export const CHANGE_STATUSES = ['proposed', 'approved', 'rejected', 'applied', 'rolled_back', 'failed'] as const;
export type ChangeStatus = (typeof CHANGE_STATUSES)[number];

export const CHANGE_SOURCES = ['cli', 'api', 'dashboard', 'file', 'automation'] as const;
export type ChangeSource = (typeof CHANGE_SOURCES)[number];

export const APPROVAL_DECISIONS = ['approve', 'reject'] as const;
export type ApprovalDecision = (typeof APPROVAL_DECISIONS)[number];

export const ALERT_STATES = ['pending', 'firing', 'resolved'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

export interface ConfigVersionTable {
  /** 1, 2, 3, ... assigned by the writer inside its transaction, so versions have no gaps. */
  version: number;
  created_at: number;
  author: string;
  source: ChangeSource;
  reason: string;
  /** The validated, defaulted config (the parser's output), canonical JSON. */
  config_json: string;
  /** The YAML text it came from, when there was one. */
  config_yaml: string | null;
  parent_version: number | null;
}

export interface ChangeRequestTable {
  id: Generated<number>;
  status: ChangeStatus;
  author: string;
  source: ChangeSource;
  reason: string;
  base_version: number | null;
  proposed_config_json: string;
  /** Added beside the listed columns: a file reload or a CLI change carries the YAML text. */
  proposed_config_yaml: string | null;
  diff_json: string | null;
  simulation_json: string | null;
  /** 0 or 1: a guardrail or an audit rule asked for a human look. */
  flagged: number;
  created_at: number;
  updated_at: number;
  applied_version: number | null;
  /** The author's token role, or "file" / "node" for changes the node makes itself (0002). */
  author_role: string | null;
  /** The author's token id: the two-person rule compares it with the approver's (0002). */
  author_token_id: string | null;
  /** 0 or 1: policy holds the change until an approver who is not the author approves it (0002). */
  needs_approval: Generated<number>;
  /** Guardrail and audit findings, JSON array of { rule, severity, message } (0002). */
  findings_json: string | null;
  /** For a rollback: the config version it restores (0002). */
  rollback_of: number | null;
}

export interface ApprovalTable {
  id: Generated<number>;
  change_id: number;
  approver: string;
  decision: ApprovalDecision;
  comment: string | null;
  at: number;
}

export interface EventTable {
  /** 1, 2, 3, ... with no gaps: a gap is how a deleted row shows. */
  seq: number;
  at: number;
  kind: string;
  actor: string;
  subject: string;
  data_json: string;
  prev_hash: string;
  hash: string;
}

/** One row (id 1): the last appended seq and hash. Appenders lock it, so the chain never forks. */
export interface EventChainHeadTable {
  id: number;
  last_seq: number;
  last_hash: string;
}

export interface TokenTable {
  id: string;
  name: string;
  role: string;
  /** `scrypt$N$r$p$salt$hash`; the token itself is never stored. */
  secret_hash: string;
  created_at: number;
  created_by: string;
  revoked_at: number | null;
  last_used_at: number | null;
}

export interface AlertTable {
  id: Generated<number>;
  rule: string;
  pool: string | null;
  state: AlertState;
  started_at: number;
  resolved_at: number | null;
  data_json: string;
}

export interface NodeTable {
  id: string;
  hostname: string;
  started_at: number;
  last_seen_at: number;
  config_version: number | null;
  /** Where the node's admin API answers (0004); null for a row written before. */
  admin_url: string | null;
  /** The backend pid of the node's monitor-lock connection while it holds the lock (0005), else null. */
  monitor_lock_pid: number | null;
}

/** A secret every node of a fleet shares (0004), such as `cookie_secret`. */
export interface SharedSecretTable {
  name: string;
  value: string;
  created_at: number;
}

export interface TelemetrySnapshotTable {
  node_id: string;
  at: number;
  pool: string;
  backend: string;
  requests: number;
  errors: number;
  latency_p95_ms: number | null;
}

/**
 * One whole second of one node's per-backend telemetry (0005), for the fleet's monitor leader:
 * data_json is a FleetSecond (src/telemetry/fleet-second.ts).
 */
export interface TelemetrySecondTable {
  node_id: string;
  second: number;
  data_json: string;
}

export const INCIDENT_STATUSES = ['open', 'resolved'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/**
 * One incident (0003): opened when an alert fires, closed when every related alert (same pool,
 * overlapping in time) has resolved. Milestones are columns so `incident list` can sort and filter
 * on them; everything else (alert fingerprints, who acknowledged, the identified cause, the impact
 * counters) is in data_json, see src/incident/incident.ts.
 */
export interface IncidentTable {
  id: Generated<number>;
  /** The pool the incident is about; '*' for node-wide alerts (traffic). */
  pool: string;
  status: IncidentStatus;
  title: string;
  /** Milestones, epoch ms; started and detected are set when the incident opens. */
  started_at: number;
  detected_at: number;
  acknowledged_at: number | null;
  identified_at: number | null;
  mitigated_at: number | null;
  resolved_at: number | null;
  updated_at: number;
  data_json: string;
}

export const DRILL_VERDICTS = ['pass', 'fail', 'error'] as const;
export type DrillVerdict = (typeof DRILL_VERDICTS)[number];

/** One drill run (0003): its scenario, verdict and headline figures as columns, the whole result in result_json. */
export interface DrillRunTable {
  id: Generated<number>;
  scenario: string;
  started_at: number;
  ended_at: number;
  speed: number;
  verdict: DrillVerdict;
  /** Seconds from fault to the first firing alert of the expected kind; null when none fired. */
  detect_s: number | null;
  /** Seconds from fault to mitigation (rollback or the scenario's fix); null when none. */
  mitigate_s: number | null;
  slowed_share: number | null;
  failed_share: number | null;
  /** 0/1: the diagnosis named the scenario's cause; null when the scenario expects no diagnosis. */
  diagnosis_ok: number | null;
  /** The DrillResult (src/drill/drill-result.ts), canonical JSON. */
  result_json: string;
}
