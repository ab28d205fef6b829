import { ALERT_RULES, type Alert, type AlertAction, type AlertRule, type AlertSeverity, type AlertState, type AlertTransition, type Cause, type Evidence } from '../../monitor/index.js';
import { EventLogError } from '../errors.js';
import { appendEvent, canonicalJson, EVENT_KINDS } from '../events/index.js';
import { ALERT_STATES, type AlertTable, type StoreSession } from '../store/index.js';

// Alerts in the store: one row per alert (an alert is one pending -> firing -> resolved life of a
// fingerprint), so a restarted node and GET /api/v1/alerts still know what fired yesterday. The
// `alerts` table has no fingerprint column (0001 predates the monitor); the fingerprint lives in
// data_json and a row is found by (rule, started_at) plus that fingerprint, which is unique because
// one fingerprint has at most one unresolved alert and a new one starts later than the last.

/** The actor of alert events in the audit log. */
export const MONITOR_EVENT_ACTOR = 'monitor';

export const DEFAULT_ALERT_LIMIT = 50;
export const MAX_ALERT_LIMIT = 1000;

export interface AlertQuery {
  readonly state?: AlertState;
  /** Only alerts that started at or after this time (epoch ms). */
  readonly since?: number;
  /** At most this many (default 50, at most 1000). */
  readonly limit?: number;
}

/** What data_json holds: everything of an Alert that has no column of its own. */
interface AlertData {
  fingerprint: string;
  severity: AlertSeverity;
  backend: string | null;
  backends: readonly string[];
  firingAt: number | null;
  summary: string;
  evidence: Evidence;
  causes: readonly Cause[];
  actions: readonly AlertAction[];
}

/**
 * Stores one lifecycle transition: inserts the alert's row when it first appears, otherwise updates its
 * state, resolved_at and data (summary, evidence, causes, actions); appends `alert.state_changed`
 * (actor monitor, subject `alert:<fingerprint>`) in the same transaction, so the row and the audit
 * log never disagree. The event's `at` is when it was written, which under load trails the
 * evaluation by up to a few hundred ms (the diagnosis and the store writes come first); its data's
 * `at` is the transition's own time, the one the alert's startedAt, firingAt and resolvedAt hold.
 */
export async function recordAlertTransition(session: StoreSession, transition: AlertTransition): Promise<void> {
  const { alert } = transition;
  await session.transaction(async (tx) => {
    await upsertAlertRow(tx, alert);
    await appendEvent(tx, {
      kind: EVENT_KINDS.alertStateChanged,
      actor: MONITOR_EVENT_ACTOR,
      subject: `alert:${alert.fingerprint}`,
      data: plainJson({
        from: transition.from ?? null,
        to: transition.to,
        at: transition.at,
        rule: alert.rule,
        pool: alert.pool ?? null,
        backend: alert.backend ?? null,
        summary: alert.summary,
        evidence: alert.evidence,
        causes: alert.causes,
      }),
    });
  });
}

/**
 * Rewrites a stored alert's data without a transition: after the node acted on it (an automatic
 * rollback adds an action). No event: the action is a change of its own in the audit log.
 */
export async function updateAlertRecord(session: StoreSession, alert: Alert): Promise<void> {
  await session.transaction((tx) => upsertAlertRow(tx, alert));
}

/** Inserts the alert's row when it is not stored yet, else updates its state, resolved_at and data. */
async function upsertAlertRow(tx: StoreSession, alert: Alert): Promise<void> {
  const dataJson = canonicalJson(plainJson(toAlertData(alert)));
  const id = await findAlertId(tx, alert);
  if (id === undefined) {
    await tx.db
      .insertInto('alerts')
      .values({ rule: alert.rule, pool: alert.pool ?? null, state: alert.state, started_at: alert.startedAt, resolved_at: alert.resolvedAt ?? null, data_json: dataJson })
      .execute();
    return;
  }
  await tx.db.updateTable('alerts').set({ state: alert.state, resolved_at: alert.resolvedAt ?? null, data_json: dataJson }).where('id', '=', id).execute();
}

/** Stored alerts newest first (by start). Throws EventLogError EK_EVENT_QUERY_INVALID on a bad filter. */
export async function listAlerts(session: StoreSession, query: AlertQuery = {}): Promise<Alert[]> {
  const limit = query.limit ?? DEFAULT_ALERT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_ALERT_LIMIT) {
    throw new EventLogError('EK_EVENT_QUERY_INVALID', `limit ${limit} must be an integer from 1 to ${MAX_ALERT_LIMIT}`);
  }
  if (query.state !== undefined && !(ALERT_STATES as readonly string[]).includes(query.state)) {
    throw new EventLogError('EK_EVENT_QUERY_INVALID', `state "${String(query.state)}" is not one of ${ALERT_STATES.join(', ')}`);
  }
  if (query.since !== undefined && !Number.isSafeInteger(query.since)) {
    throw new EventLogError('EK_EVENT_QUERY_INVALID', `since ${query.since} must be an integer (epoch milliseconds)`);
  }
  let select = session.db.selectFrom('alerts').selectAll();
  if (query.state !== undefined) select = select.where('state', '=', query.state);
  if (query.since !== undefined) select = select.where('started_at', '>=', query.since);
  const rows = await select.orderBy('started_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  return rows.map(toAlert);
}

async function findAlertId(tx: StoreSession, alert: Alert): Promise<number | undefined> {
  const rows = await tx.db.selectFrom('alerts').select(['id', 'data_json']).where('rule', '=', alert.rule).where('started_at', '=', alert.startedAt).execute();
  const row = rows.find((candidate) => (JSON.parse(candidate.data_json) as Partial<AlertData>).fingerprint === alert.fingerprint);
  return row === undefined ? undefined : Number(row.id);
}

function toAlertData(alert: Alert): AlertData {
  return {
    fingerprint: alert.fingerprint,
    severity: alert.severity,
    backend: alert.backend ?? null,
    backends: alert.backends,
    firingAt: alert.firingAt ?? null,
    summary: alert.summary,
    evidence: alert.evidence,
    causes: alert.causes,
    actions: alert.actions,
  };
}

type AlertRow = Omit<AlertTable, 'id'> & { id: number };

function toAlert(row: AlertRow): Alert {
  const data = JSON.parse(row.data_json) as Partial<AlertData>;
  const rule = (ALERT_RULES as readonly string[]).includes(row.rule) ? (row.rule as AlertRule) : ('skew' as AlertRule);
  return {
    fingerprint: data.fingerprint ?? `${row.rule}/${row.pool ?? '*'}/${data.backend ?? '*'}`,
    rule,
    severity: data.severity ?? 'warning',
    pool: row.pool ?? undefined,
    backend: data.backend ?? undefined,
    state: row.state,
    startedAt: Number(row.started_at),
    firingAt: data.firingAt ?? undefined,
    resolvedAt: row.resolved_at === null ? undefined : Number(row.resolved_at),
    summary: data.summary ?? '',
    evidence: data.evidence ?? {},
    backends: data.backends ?? [],
    causes: data.causes ?? [],
    actions: data.actions ?? [],
  };
}

/**
 * The value as plain JSON the audit chain can hash: evidence may hold an infinite ratio (a backend
 * expected to get nothing that got requests), which canonical JSON refuses, so it becomes the string
 * "Infinity"; undefined members are dropped.
 */
export function plainJson(value: unknown): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (Array.isArray(value)) return value.map((item) => (item === undefined ? null : plainJson(item)));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value)) if (member !== undefined) out[key] = plainJson(member);
    return out;
  }
  return value;
}
