import { DEFAULT_LOOK_BACK_MS } from '../monitor/index.js';
import { listEvents, MAX_EVENT_LIMIT, type AuditEvent, policyOf, type StoreSession } from '../control/index.js';
import { incidentDurations, type Incident, type IncidentDurations, type MilestoneMark } from './incident.js';
import { candidateChangeIds, rankRootCauseCandidates, triggerOf, type FiredAlertCauses, type ReportTrigger, type RootCauseCandidate } from './report-candidates.js';
import { alertLives, type AlertLife } from './report-alerts.js';
import { describeEvent } from './report-events.js';
import { formatCount, formatShare } from './report-format.js';
import { getIncident } from './incident-records.js';
import { resolutionOf, type ReportResolution } from './report-resolution.js';

// The postmortem draft of one incident (issue 6), in the shape of the common templates (the Google SRE
// book's, PagerDuty's): summary, impact, trigger, root-cause candidates, detection, resolution and a
// timeline, all from the incident's milestones and counters and the audit log around it, plus empty
// sections that only the people who ran the incident can write. The postmortem of 2024-05-01 was
// written by hand after 2 h 45 min; its timeline had quarter-hour times. This one has the real ones.

export type { RootCauseCandidate, ReportTrigger } from './report-candidates.js';
export type { ReportResolution, ReportRollback } from './report-resolution.js';

export interface IncidentReportOptions {
  /**
   * How far before the first sign changes and health transitions are read. Default: the
   * policy.auto_rollback.window of the config live at the first sign (10 min unless set), the
   * look-back the monitor's diagnosis used.
   */
  readonly lookBackMs?: number;
  /** Events this long after the end are kept (the last rollback events, incident.resolved). Default 1 min. */
  readonly marginMs?: number;
  /** The clock, for an incident still open and for generatedAt. */
  readonly now?: () => number;
}

export const DEFAULT_REPORT_MARGIN_MS = 60_000;
/** The timeline stops at this many events; `timelineTruncated` says so. */
export const MAX_TIMELINE_EVENTS = 5 * MAX_EVENT_LIMIT;

export interface ReportSummary {
  readonly title: string;
  readonly status: Incident['status'];
  readonly startedAt: number;
  /** Resolved, or null while open. */
  readonly endedAt: number | null;
  /** Started to resolved, or to generatedAt while open. */
  readonly durationMs: number;
  readonly pools: readonly string[];
  readonly backends: readonly string[];
  /** "31% of 48,210 requests to pool portal were slower than the 500 ms SLO and 0.2% failed." */
  readonly impact: string;
  /** The trigger sentence. */
  readonly rootCause: string;
}

export interface ReportBackendImpact {
  readonly backend: string;
  readonly requests: number;
  readonly slowed: number;
  readonly failed: number;
  /** The backend's share of the pool's requests; null when none were counted. */
  readonly requestShare: number | null;
  readonly slowedShare: number | null;
  readonly failedShare: number | null;
}

export interface ReportImpact {
  readonly requests: number;
  readonly slowed: number;
  readonly failed: number;
  readonly sloMs: number;
  /** slowed / requests; null when no request was counted. */
  readonly slowedShare: number | null;
  /** failed / requests; null when no request was counted. */
  readonly failedShare: number | null;
  /** Busiest first. */
  readonly backends: readonly ReportBackendImpact[];
}

export interface ReportAlert {
  readonly fingerprint: string;
  readonly rule: string;
  readonly pool: string | null;
  readonly backend: string | null;
  readonly pendingAt: number | null;
  readonly firingAt: number | null;
  readonly resolvedAt: number | null;
  /** The summary when it fired (the diagnosis sentence). */
  readonly summary: string;
  /** firingAt - firstSignAt, seconds. */
  readonly secondsAfterFirstSign: number | null;
}

export interface ReportMark {
  readonly at: number;
  readonly by: string;
  readonly note: string | null;
  readonly secondsAfterFirstSign: number;
}

export interface ReportDetection {
  readonly firstSignAt: number;
  /** What the first sign was: "alert skew/portal/* became pending". */
  readonly firstSign: string;
  /** The first related alert fired (the incident's detected milestone). */
  readonly detectedAt: number | null;
  readonly secondsAfterFirstSign: number | null;
  /** The incident's alerts that fired, in order of firing. */
  readonly alerts: readonly ReportAlert[];
  readonly acknowledged: ReportMark | null;
  readonly identified: ReportMark | null;
}

export interface TimelineEntry {
  readonly seq: number;
  readonly at: number;
  /** at - firstSignAt, ms (negative before it). */
  readonly offsetMs: number;
  readonly kind: string;
  readonly actor: string;
  readonly text: string;
}

/** Sections only people can write; empty in the draft. */
export interface HumanSections {
  readonly contributingFactors: readonly string[];
  readonly lessonsLearned: readonly string[];
  readonly actionItems: readonly string[];
}

/** A postmortem draft, JSON-serialisable (`incident report --format json` prints it as is). */
export interface IncidentReport {
  readonly incident: Incident;
  readonly generatedAt: number;
  /** The events read: [since, until), and the look-back before the first sign. */
  readonly window: { readonly since: number; readonly until: number; readonly lookBackMs: number };
  /** From the milestones; to mitigate as `resolution` reads it (a rollback before the alerts resolved counts). */
  readonly durations: IncidentDurations;
  readonly summary: ReportSummary;
  readonly impact: ReportImpact;
  readonly trigger: ReportTrigger;
  readonly rootCauseCandidates: readonly RootCauseCandidate[];
  readonly detection: ReportDetection;
  readonly resolution: ReportResolution;
  /** Every event of the window, in time order. */
  readonly timeline: readonly TimelineEntry[];
  readonly timelineTruncated: boolean;
  readonly humanSections: HumanSections;
}

/**
 * Builds the postmortem draft of incident `id` from its row and the audit log around it. Throws
 * IncidentError EK_INCIDENT_NOT_FOUND when there is no such incident.
 */
export async function buildIncidentReport(session: StoreSession, id: number, options: IncidentReportOptions = {}): Promise<IncidentReport> {
  const now = options.now ?? Date.now;
  const incident = await getIncident(session, id);
  const generatedAt = now();
  const started = incident.milestones.started?.at ?? incident.updatedAt;
  const resolved = incident.milestones.resolved;
  const lookBackMs = options.lookBackMs ?? (await lookBackAt(session, started));
  const since = Math.floor(started - lookBackMs);
  const until = Math.ceil((resolved?.at ?? generatedAt) + (options.marginMs ?? DEFAULT_REPORT_MARGIN_MS));
  const { events, isTruncated } = await eventsBetween(session, since, until);

  const lives = alertLives(events, incident);
  const firstSignAt = started;
  const detectedAt = incident.milestones.detected?.at ?? minOf(lives.map((life) => life.firingAt)) ?? null;
  const fired = lives.filter((life): life is AlertLife & { firingAt: number } => life.firingAt !== null);
  const firedCauses: FiredAlertCauses[] = fired.map((life) => ({
    fingerprint: life.fingerprint,
    rule: life.rule,
    pool: life.pool,
    backend: life.backend,
    firingAt: life.firingAt,
    causes: life.causes,
    evidence: life.evidence,
  }));
  const changeEvents = await eventsOfChanges(session, candidateChangeIds(events, firedCauses, firstSignAt, lookBackMs), since);
  const rootCauseCandidates = rankRootCauseCandidates({
    events,
    changeEvents,
    pool: incident.pool,
    backends: incident.backends,
    firstSignAt,
    detectedAt: detectedAt ?? generatedAt,
    lookBackMs,
    alerts: firedCauses,
  });
  const trigger = triggerOf(rootCauseCandidates, firstSignAt, lookBackMs);
  const impact = impactOf(incident);
  const pools = incident.pool === '*' ? distinct(lives.map((life) => life.pool).filter((pool): pool is string => pool !== null)) : [incident.pool];
  const resolution = resolutionOf(incident, events, firstSignAt);
  const firstLife = [...lives].sort((a, b) => (a.pendingAt ?? a.firingAt ?? 0) - (b.pendingAt ?? b.firingAt ?? 0))[0];

  return {
    incident,
    generatedAt,
    window: { since, until, lookBackMs },
    durations: { ...incidentDurations(incident), toMitigateMs: resolution.mitigatedAt === null ? undefined : resolution.mitigatedAt - firstSignAt },
    summary: {
      title: incident.title,
      status: incident.status,
      startedAt: started,
      endedAt: resolved?.at ?? null,
      durationMs: (resolved?.at ?? generatedAt) - started,
      pools,
      backends: incident.backends,
      impact: impactSentence(impact, pools),
      rootCause: trigger.text,
    },
    impact,
    trigger,
    rootCauseCandidates,
    detection: {
      firstSignAt,
      firstSign:
        firstLife === undefined
          ? (incident.milestones.started?.note ?? 'the incident opened')
          : `alert ${firstLife.fingerprint} became ${firstLife.pendingAt === null ? 'firing' : 'pending'}`,
      detectedAt,
      secondsAfterFirstSign: detectedAt === null ? null : seconds(detectedAt - firstSignAt),
      alerts: fired.map((life) => ({
        fingerprint: life.fingerprint,
        rule: life.rule,
        pool: life.pool,
        backend: life.backend,
        pendingAt: life.pendingAt,
        firingAt: life.firingAt,
        resolvedAt: life.resolvedAt,
        summary: life.summary,
        secondsAfterFirstSign: seconds(life.firingAt - firstSignAt),
      })),
      acknowledged: markOf(incident.milestones.acknowledged, firstSignAt),
      identified: markOf(incident.milestones.identified, firstSignAt),
    },
    resolution,
    timeline: [...events]
      .sort((a, b) => a.at - b.at || a.seq - b.seq)
      .map((event) => ({ seq: event.seq, at: event.at, offsetMs: event.at - firstSignAt, kind: event.kind, actor: event.actor, text: describeEvent(event) })),
    timelineTruncated: isTruncated,
    humanSections: { contributingFactors: [], lessonsLearned: [], actionItems: [] },
  };
}

/** policy.auto_rollback.window of the config version live at `at` (the diagnosis's look-back), else 10 min. */
async function lookBackAt(session: StoreSession, at: number): Promise<number> {
  const row = await session.db
    .selectFrom('config_versions')
    .select('config_json')
    .where('created_at', '<=', at)
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (row === undefined) return DEFAULT_LOOK_BACK_MS;
  try {
    const window = policyOf(JSON.parse(row.config_json) as { policy?: unknown }).auto_rollback.window;
    return Number.isFinite(window) && window > 0 ? window : DEFAULT_LOOK_BACK_MS;
  } catch {
    // A version whose stored policy no longer parses still gets a report, with the default look-back.
    return DEFAULT_LOOK_BACK_MS;
  }
}

async function eventsBetween(session: StoreSession, since: number, until: number): Promise<{ events: AuditEvent[]; isTruncated: boolean }> {
  const events: AuditEvent[] = [];
  let afterSeq: number | undefined;
  for (let page = 0; page < MAX_TIMELINE_EVENTS / MAX_EVENT_LIMIT; page++) {
    const batch = await listEvents(session, { since, until, afterSeq, limit: MAX_EVENT_LIMIT });
    events.push(...batch);
    if (batch.length < MAX_EVENT_LIMIT) return { events, isTruncated: false };
    afterSeq = batch[batch.length - 1]!.seq;
  }
  return { events, isTruncated: true };
}

/**
 * Every event of each candidate change: its proposal and approvals may predate the window, so they
 * are read from the change's creation on (the events' time index bounds the scan).
 */
async function eventsOfChanges(session: StoreSession, ids: readonly number[], windowSince: number): Promise<Map<number, AuditEvent[]>> {
  const byId = new Map<number, AuditEvent[]>();
  for (const id of ids) {
    const change = await session.db.selectFrom('change_requests').select('created_at').where('id', '=', id).executeTakeFirst();
    const since = change === undefined ? windowSince : Math.min(Number(change.created_at), windowSince);
    byId.set(id, await listEvents(session, { subject: `change:${id}`, since, limit: 1000 }));
  }
  return byId;
}

function impactOf(incident: Incident): ReportImpact {
  const { requests, slowed, failed, sloMs } = incident.impact;
  const share = (part: number, whole: number) => (whole > 0 ? part / whole : null);
  const backends = Object.entries(incident.impact.backends)
    .map(([backend, counts]) => ({
      backend,
      requests: counts.requests,
      slowed: counts.slowed,
      failed: counts.failed,
      requestShare: share(counts.requests, requests),
      slowedShare: share(counts.slowed, counts.requests),
      failedShare: share(counts.failed, counts.requests),
    }))
    .sort((a, b) => b.requests - a.requests || a.backend.localeCompare(b.backend));
  return { requests, slowed, failed, sloMs, slowedShare: share(slowed, requests), failedShare: share(failed, requests), backends };
}

function impactSentence(impact: ReportImpact, pools: readonly string[]): string {
  const where = pools.length === 0 ? 'this node' : `pool ${pools.join(', ')}`;
  if (impact.requests === 0 || impact.slowedShare === null || impact.failedShare === null) {
    return `No requests to ${where} were counted while the incident was open.`;
  }
  return `${formatShare(impact.slowedShare)} of ${formatCount(impact.requests)} requests to ${where} were slower than the ${formatCount(impact.sloMs)} ms SLO and ${formatShare(impact.failedShare)} failed while the incident was open.`;
}

function markOf(mark: MilestoneMark | undefined, firstSignAt: number): ReportMark | null {
  return mark === undefined ? null : { at: mark.at, by: mark.by, note: mark.note ?? null, secondsAfterFirstSign: seconds(mark.at - firstSignAt) };
}

function seconds(ms: number): number {
  return ms / 1000;
}

function minOf(values: readonly (number | null)[]): number | undefined {
  let min: number | undefined;
  for (const value of values) if (value !== null && (min === undefined || value < min)) min = value;
  return min;
}

function distinct(values: readonly string[]): string[] {
  return [...new Set(values)];
}

