import type { Alert } from '../monitor/index.js';
import { plainJson, appendEvent, canonicalJson, EVENT_KINDS, INCIDENT_STATUSES, lockStoreForWrite, type IncidentStatus, type IncidentTable, type StoreSession } from '../control/index.js';
import { IncidentError } from './incident-errors.js';
import { incidentDurations, type Incident, type IncidentImpact, type IncidentMilestone, type MilestoneEntry, type MilestoneMark } from './incident.js';

// Incidents in the store. An alert that fires opens an incident for its pool, or joins the one already
// open there (related alerts: same pool, overlapping in time); the incident resolves when the last of
// its alerts does. Milestone times are columns (list and sort), who and why live in data_json. Every
// write runs in one transaction with its audit event and behind the store's write lock, so two nodes
// of a fleet firing for the same pool at once join one incident instead of opening two.

/** The pool of incidents opened by node-wide alerts (traffic spike or drop). */
export const NODE_WIDE_POOL = '*';
/** The milestones a person (or the node's automatic rollback) marks; the others follow from alerts. */
export const MARKABLE_MILESTONES = ['acknowledged', 'identified', 'mitigated'] as const;
export type MarkableMilestone = (typeof MARKABLE_MILESTONES)[number];

/** Who marks what the node's alerts decide: started, detected, and mitigated when the alerts resolve first. */
export const INCIDENT_MONITOR_ACTOR = 'monitor';
/** The note of a mitigated milestone set because every alert resolved before anyone mitigated. */
export const MITIGATED_BY_RESOLVE_NOTE = 'alerts resolved';

export const DEFAULT_INCIDENT_LIMIT = 50;
export const MAX_INCIDENT_LIMIT = 1000;
const MAX_NOTE_LENGTH = 2000;

export interface IncidentQuery {
  readonly status?: IncidentStatus;
  readonly pool?: string;
  /** At most this many, newest first (default 50, at most 1000). */
  readonly limit?: number;
}

/** Requests counted for an incident since the last delta; added to its impact. */
export type ImpactDelta = IncidentImpact;

/** What data_json holds. */
interface IncidentData {
  marks: Partial<Record<IncidentMilestone, { by: string; note?: string }>>;
  history: MilestoneEntry[];
  alerts: string[];
  /** Fingerprints of related alerts still pending or firing; the incident resolves when it empties. */
  activeAlerts: string[];
  backends: string[];
  impact: IncidentImpact;
}

type IncidentRow = Omit<IncidentTable, 'id'> & { id: number | string };

const MILESTONE_COLUMNS = {
  started: 'started_at',
  detected: 'detected_at',
  acknowledged: 'acknowledged_at',
  identified: 'identified_at',
  mitigated: 'mitigated_at',
  resolved: 'resolved_at',
} as const satisfies Record<IncidentMilestone, keyof IncidentTable>;

export function emptyImpact(): IncidentImpact {
  return { requests: 0, slowed: 0, failed: 0, sloMs: 0, backends: {} };
}

/**
 * An alert fired: joins the open incident of its pool ('*' for node-wide alerts), moving `started`
 * earlier when this alert's first sign came before the incident's, or opens one with started = the
 * alert's pending time, detected = its firing time and the alert's summary as title (event
 * incident.opened). Returns the incident and whether it was opened now.
 */
export async function openOrJoinIncident(session: StoreSession, alert: Alert, now: number = Date.now()): Promise<{ incident: Incident; opened: boolean }> {
  const pool = alert.pool ?? NODE_WIDE_POOL;
  return session.transaction(async (tx) => {
    await lockStoreForWrite(tx);
    const open = await tx.db.selectFrom('incidents').selectAll().where('status', '=', 'open').where('pool', '=', pool).orderBy('id', 'desc').limit(1).executeTakeFirst();
    if (open !== undefined) {
      const data = dataOf(open);
      if (!data.alerts.includes(alert.fingerprint)) data.alerts.push(alert.fingerprint);
      if (!data.activeAlerts.includes(alert.fingerprint)) data.activeAlerts.push(alert.fingerprint);
      for (const backend of alert.backends) if (!data.backends.includes(backend)) data.backends.push(backend);
      const startedAt = Math.min(Number(open.started_at), alert.startedAt);
      if (startedAt < Number(open.started_at)) data.marks.started = { by: INCIDENT_MONITOR_ACTOR, note: `alert ${alert.fingerprint} became pending` };
      await tx.db
        .updateTable('incidents')
        .set({ started_at: startedAt, updated_at: now, data_json: serialize(data) })
        .where('id', '=', Number(open.id))
        .execute();
      return { incident: await mustGet(tx, Number(open.id)), opened: false };
    }
    const detectedAt = alert.firingAt ?? now;
    const data: IncidentData = {
      marks: {
        started: { by: INCIDENT_MONITOR_ACTOR, note: `alert ${alert.fingerprint} became pending` },
        detected: { by: INCIDENT_MONITOR_ACTOR, note: `alert ${alert.fingerprint} fired` },
      },
      history: [],
      alerts: [alert.fingerprint],
      activeAlerts: [alert.fingerprint],
      backends: [...alert.backends],
      impact: emptyImpact(),
    };
    const inserted = await tx.db
      .insertInto('incidents')
      .values({
        pool,
        status: 'open',
        title: alert.summary === '' ? `${alert.rule} alert on ${pool === NODE_WIDE_POOL ? 'the node' : `pool ${pool}`}` : alert.summary,
        started_at: Math.min(alert.startedAt, detectedAt),
        detected_at: detectedAt,
        acknowledged_at: null,
        identified_at: null,
        mitigated_at: null,
        resolved_at: null,
        updated_at: now,
        data_json: serialize(data),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const incident = await mustGet(tx, Number(inserted.id));
    await appendEvent(tx, {
      kind: EVENT_KINDS.incidentOpened,
      actor: INCIDENT_MONITOR_ACTOR,
      subject: subjectOf(incident.id),
      data: plainJson({ incidentId: incident.id, pool, title: incident.title, alert: alert.fingerprint, rule: alert.rule, startedAt: incident.milestones.started?.at, detectedAt }),
    });
    return { incident, opened: true };
  });
}

/**
 * Marks acknowledged, identified or mitigated (event incident.milestone, actor `by`). The first mark of
 * a milestone sets it; later ones are kept as history. A resolved incident may still be acknowledged or
 * identified (a cause is often confirmed after recovery) but not mitigated: EK_INCIDENT_STATE.
 */
export async function markMilestone(session: StoreSession, id: number, milestone: MarkableMilestone, by: string, note?: string, now: number = Date.now()): Promise<Incident> {
  if (!(MARKABLE_MILESTONES as readonly string[]).includes(milestone)) {
    throw new IncidentError('EK_INCIDENT_INVALID', `milestone "${String(milestone)}" cannot be marked; mark one of ${MARKABLE_MILESTONES.join(', ')} (the others follow from the alerts)`);
  }
  if (by.trim() === '') throw new IncidentError('EK_INCIDENT_INVALID', 'a milestone needs who marked it');
  const cleanNote = note === undefined || note.trim() === '' ? undefined : note.trim().slice(0, MAX_NOTE_LENGTH);
  return session.transaction(async (tx) => {
    await lockStoreForWrite(tx);
    const row = await findRow(tx, id);
    if (row.status === 'resolved' && milestone === 'mitigated') {
      throw new IncidentError(
        'EK_INCIDENT_STATE',
        `incident ${id} is resolved (${new Date(Number(row.resolved_at)).toISOString()}), so it was mitigated by then; acknowledge it or identify its cause instead`,
      );
    }
    const data = dataOf(row);
    const column = MILESTONE_COLUMNS[milestone];
    const isFirst = row[column] === null;
    const mark: MilestoneMark = cleanNote === undefined ? { at: now, by } : { at: now, by, note: cleanNote };
    if (isFirst) data.marks[milestone] = cleanNote === undefined ? { by } : { by, note: cleanNote };
    else data.history.push({ milestone, ...mark });
    await tx.db
      .updateTable('incidents')
      .set({ ...(isFirst ? { [column]: now } : {}), updated_at: now, data_json: serialize(data) })
      .where('id', '=', id)
      .execute();
    await appendEvent(tx, {
      kind: EVENT_KINDS.incidentMilestone,
      actor: by,
      subject: subjectOf(id),
      data: plainJson({ incidentId: id, pool: row.pool, milestone, by, note: cleanNote, isFirst }),
    });
    return mustGet(tx, id);
  });
}

/**
 * An alert resolved: it leaves the open incident it belongs to; when none of that incident's alerts is
 * still pending or firing the incident resolves (event incident.resolved), and if nobody mitigated it
 * by then, mitigated takes the same time with the note "alerts resolved". Returns the incident the
 * alert belonged to, or undefined when it belonged to none (an alert that never fired).
 */
export async function alertResolved(session: StoreSession, alert: Alert, now: number = Date.now()): Promise<Incident | undefined> {
  const pool = alert.pool ?? NODE_WIDE_POOL;
  return session.transaction(async (tx) => {
    await lockStoreForWrite(tx);
    const rows = await tx.db.selectFrom('incidents').selectAll().where('status', '=', 'open').where('pool', '=', pool).orderBy('id', 'desc').execute();
    const row = rows.find((candidate) => dataOf(candidate).activeAlerts.includes(alert.fingerprint));
    if (row === undefined) return undefined;
    const id = Number(row.id);
    const data = dataOf(row);
    data.activeAlerts = data.activeAlerts.filter((fingerprint) => fingerprint !== alert.fingerprint);
    if (data.activeAlerts.length > 0) {
      await tx.db.updateTable('incidents').set({ updated_at: now, data_json: serialize(data) }).where('id', '=', id).execute();
      return mustGet(tx, id);
    }
    const resolvedAt = Math.max(alert.resolvedAt ?? now, Number(row.detected_at));
    const wasMitigated = row.mitigated_at !== null;
    if (!wasMitigated) data.marks.mitigated = { by: INCIDENT_MONITOR_ACTOR, note: MITIGATED_BY_RESOLVE_NOTE };
    data.marks.resolved = { by: INCIDENT_MONITOR_ACTOR, note: `alert ${alert.fingerprint} resolved, the last of ${data.alerts.length}` };
    await tx.db
      .updateTable('incidents')
      .set({ status: 'resolved', resolved_at: resolvedAt, ...(wasMitigated ? {} : { mitigated_at: resolvedAt }), updated_at: now, data_json: serialize(data) })
      .where('id', '=', id)
      .execute();
    const incident = await mustGet(tx, id);
    const durations = incidentDurations(incident);
    await appendEvent(tx, {
      kind: EVENT_KINDS.incidentResolved,
      actor: INCIDENT_MONITOR_ACTOR,
      subject: subjectOf(id),
      data: plainJson({ incidentId: id, pool, title: incident.title, alerts: data.alerts, mitigatedOnResolve: !wasMitigated, ...durations }),
    });
    return incident;
  });
}

/**
 * Resolves an open incident whose alerts can no longer resolve: the only node that held them (a
 * single node on SQLite) restarted, and a restarted monitor starts with no alerts. Resolved at `at`
 * with `note`; mitigated too, if nothing mitigated it. Returns undefined when it is not open.
 */
export async function resolveOrphanedIncident(session: StoreSession, id: number, note: string, at: number = Date.now()): Promise<Incident | undefined> {
  return session.transaction(async (tx) => {
    await lockStoreForWrite(tx);
    const row = await findRow(tx, id);
    if (row.status !== 'open') return undefined;
    const data = dataOf(row);
    const resolvedAt = Math.max(at, Number(row.detected_at));
    const wasMitigated = row.mitigated_at !== null;
    if (!wasMitigated) data.marks.mitigated = { by: INCIDENT_MONITOR_ACTOR, note };
    data.marks.resolved = { by: INCIDENT_MONITOR_ACTOR, note };
    data.activeAlerts = [];
    await tx.db
      .updateTable('incidents')
      .set({ status: 'resolved', resolved_at: resolvedAt, ...(wasMitigated ? {} : { mitigated_at: resolvedAt }), updated_at: at, data_json: serialize(data) })
      .where('id', '=', id)
      .execute();
    const incident = await mustGet(tx, id);
    await appendEvent(tx, {
      kind: EVENT_KINDS.incidentResolved,
      actor: INCIDENT_MONITOR_ACTOR,
      subject: subjectOf(id),
      data: plainJson({ incidentId: id, pool: row.pool, title: incident.title, alerts: data.alerts, mitigatedOnResolve: !wasMitigated, note, ...incidentDurations(incident) }),
    });
    return incident;
  });
}

/**
 * Adds requests counted from telemetry to an incident's impact (no event: the node calls it at most
 * once a second per incident, and the totals are in the incident.resolved report anyway).
 */
export async function addImpact(session: StoreSession, id: number, delta: ImpactDelta, now: number = Date.now()): Promise<Incident> {
  for (const [name, value] of [['requests', delta.requests], ['slowed', delta.slowed], ['failed', delta.failed]] as const) {
    if (!Number.isFinite(value) || value < 0) throw new IncidentError('EK_INCIDENT_INVALID', `impact ${name} ${value} must be a count of 0 or more`);
  }
  return session.transaction(async (tx) => {
    await lockStoreForWrite(tx);
    const row = await findRow(tx, id);
    const data = dataOf(row);
    const backends: Record<string, { requests: number; slowed: number; failed: number }> = { ...data.impact.backends };
    for (const [backend, counts] of Object.entries(delta.backends)) {
      const before = backends[backend] ?? { requests: 0, slowed: 0, failed: 0 };
      backends[backend] = { requests: before.requests + counts.requests, slowed: before.slowed + counts.slowed, failed: before.failed + counts.failed };
    }
    data.impact = {
      requests: data.impact.requests + delta.requests,
      slowed: data.impact.slowed + delta.slowed,
      failed: data.impact.failed + delta.failed,
      sloMs: delta.sloMs,
      backends,
    };
    await tx.db.updateTable('incidents').set({ updated_at: now, data_json: serialize(data) }).where('id', '=', id).execute();
    return mustGet(tx, id);
  });
}

/** Incidents newest first (by start). Throws EK_INCIDENT_INVALID on a bad filter. */
export async function listIncidents(session: StoreSession, query: IncidentQuery = {}): Promise<Incident[]> {
  const limit = query.limit ?? DEFAULT_INCIDENT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_INCIDENT_LIMIT) {
    throw new IncidentError('EK_INCIDENT_INVALID', `limit ${limit} must be an integer from 1 to ${MAX_INCIDENT_LIMIT}`);
  }
  if (query.status !== undefined && !(INCIDENT_STATUSES as readonly string[]).includes(query.status)) {
    throw new IncidentError('EK_INCIDENT_INVALID', `status "${String(query.status)}" is not one of ${INCIDENT_STATUSES.join(', ')}`);
  }
  let select = session.db.selectFrom('incidents').selectAll();
  if (query.status !== undefined) select = select.where('status', '=', query.status);
  if (query.pool !== undefined) select = select.where('pool', '=', query.pool);
  const rows = await select.orderBy('started_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  return rows.map(toIncident);
}

/** One incident; EK_INCIDENT_NOT_FOUND when there is none with that id. */
export async function getIncident(session: StoreSession, id: number): Promise<Incident> {
  return toIncident(await findRow(session, id));
}

async function findRow(session: StoreSession, id: number): Promise<IncidentRow> {
  if (!Number.isSafeInteger(id) || id < 1) throw new IncidentError('EK_INCIDENT_INVALID', `incident id ${id} must be a positive integer`);
  const row = await session.db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
  if (row === undefined) throw new IncidentError('EK_INCIDENT_NOT_FOUND', `no incident ${id}; \`evenkeel incident list\` shows the incidents there are`);
  return row;
}

async function mustGet(session: StoreSession, id: number): Promise<Incident> {
  return toIncident(await findRow(session, id));
}

function subjectOf(id: number): string {
  return `incident:${id}`;
}

function serialize(data: IncidentData): string {
  return canonicalJson(plainJson(data));
}

function dataOf(row: IncidentRow): IncidentData {
  const data = JSON.parse(row.data_json) as Partial<IncidentData>;
  const impact = data.impact ?? emptyImpact();
  return {
    marks: data.marks ?? {},
    history: data.history ?? [],
    alerts: data.alerts ?? [],
    activeAlerts: data.activeAlerts ?? [],
    backends: data.backends ?? [],
    impact: { ...emptyImpact(), ...impact, backends: impact.backends ?? {} },
  };
}

function toIncident(row: IncidentRow): Incident {
  const data = dataOf(row);
  const milestones: Partial<Record<IncidentMilestone, MilestoneMark>> = {};
  for (const [milestone, column] of Object.entries(MILESTONE_COLUMNS) as [IncidentMilestone, keyof typeof row][]) {
    const at = row[column];
    if (at === null || at === undefined) continue;
    const who = data.marks[milestone];
    milestones[milestone] = { at: Number(at), by: who?.by ?? INCIDENT_MONITOR_ACTOR, ...(who?.note === undefined ? {} : { note: who.note }) };
  }
  return {
    id: Number(row.id),
    pool: row.pool,
    status: row.status,
    title: row.title,
    milestones,
    alerts: data.alerts,
    backends: data.backends,
    impact: data.impact,
    updatedAt: Number(row.updated_at),
    history: data.history,
  };
}
