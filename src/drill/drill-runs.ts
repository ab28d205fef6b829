import { appendEvent, canonicalJson, EVENT_KINDS, lockStoreForWrite, type DrillRunTable, type DrillVerdict, type StoreSession } from '../control/index.js';

// Drill runs in the store (issue 6): one row per run with the headline figures as columns, the whole
// DrillResult as canonical JSON, and a drill.recorded event in the same transaction. The history
// answers the question a team asks after its quarterly drill: did we get better?
//
// It names only the fields of a DrillResult (drill-result.ts) that it stores: a DrillResult is a
// RecordableDrillResult, and so is a hand-built one in a test.

/** What recordDrillRun reads of a DrillResult. */
export interface RecordableDrillResult {
  readonly scenario: { readonly name: string };
  readonly speed: number;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly verdict: DrillVerdict;
  readonly figures: {
    readonly detectS: number | undefined;
    readonly mitigateS: number | undefined;
    readonly slowedShare: number;
    readonly failedShare: number;
    readonly diagnosisCorrect: boolean | undefined;
  };
}

/** One stored run without its result: what lists and the history show. */
export interface DrillRunSummary {
  readonly id: number;
  readonly scenario: string;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly speed: number;
  readonly verdict: DrillVerdict;
  readonly detectS: number | null;
  readonly mitigateS: number | null;
  readonly slowedShare: number | null;
  readonly failedShare: number | null;
  /** Whether the diagnosis named the scenario's cause; null when the scenario expects none. */
  readonly diagnosisOk: boolean | null;
}

/** One stored run with the DrillResult it recorded (parsed JSON; callers in drill/ and above know its type). */
export interface DrillRun<R = unknown> extends DrillRunSummary {
  readonly result: R;
}

export interface DrillRunQuery {
  readonly scenario?: string;
  /** At most this many, newest first (default DEFAULT_DRILL_RUN_LIMIT, at most MAX_DRILL_RUN_LIMIT). */
  readonly limit?: number;
}

export const DEFAULT_DRILL_RUN_LIMIT = 50;
export const MAX_DRILL_RUN_LIMIT = 1000;

/** Who records a run when the caller does not say: the drill runner itself. */
export const DRILL_EVENT_ACTOR = 'drill';

/**
 * Stores a finished drill run and appends drill.recorded (data: id, scenario, verdict) in one
 * transaction; resolves to the run's id. `actor` is who started the drill (a token name, or 'drill').
 */
export async function recordDrillRun(session: StoreSession, result: RecordableDrillResult, options: { actor?: string } = {}): Promise<number> {
  const { figures } = result;
  // Through JSON first: a figure the runner left NaN (0 of 0 requests) is stored as null, not refused.
  const resultJson = canonicalJson(JSON.parse(JSON.stringify(result)));
  return session.transaction(async (tx) => {
    // The one writer lock first (as every writer takes it), so the row and its event commit in turn.
    await lockStoreForWrite(tx);
    const row = await tx.db
      .insertInto('drill_runs')
      .values({
        scenario: result.scenario.name,
        started_at: result.startedAt,
        ended_at: result.endedAt,
        speed: result.speed,
        verdict: result.verdict,
        detect_s: finiteOrNull(figures.detectS),
        mitigate_s: finiteOrNull(figures.mitigateS),
        slowed_share: result.verdict === 'error' ? null : finiteOrNull(figures.slowedShare),
        failed_share: result.verdict === 'error' ? null : finiteOrNull(figures.failedShare),
        diagnosis_ok: figures.diagnosisCorrect === undefined ? null : figures.diagnosisCorrect ? 1 : 0,
        result_json: resultJson,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const id = Number(row.id);
    await appendEvent(tx, {
      kind: EVENT_KINDS.drillRecorded,
      actor: options.actor ?? DRILL_EVENT_ACTOR,
      subject: `drill:${id}`,
      data: { id, scenario: result.scenario.name, verdict: result.verdict },
    });
    return id;
  });
}

/** Stored runs, newest first, optionally of one scenario. */
export async function listDrillRuns(session: StoreSession, query: DrillRunQuery = {}): Promise<DrillRunSummary[]> {
  const limit = Math.min(Math.max(1, Math.floor(query.limit ?? DEFAULT_DRILL_RUN_LIMIT)), MAX_DRILL_RUN_LIMIT);
  let select = session.db.selectFrom('drill_runs').select(SUMMARY_COLUMNS);
  if (query.scenario !== undefined) select = select.where('scenario', '=', query.scenario);
  const rows = await select.orderBy('started_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  return rows.map(toSummary);
}

/** One stored run with its DrillResult; undefined when there is no run `id`. */
export async function getDrillRun<R = unknown>(session: StoreSession, id: number): Promise<DrillRun<R> | undefined> {
  const row = await session.db.selectFrom('drill_runs').selectAll().where('id', '=', id).executeTakeFirst();
  if (row === undefined) return undefined;
  return { ...toSummary(row), result: JSON.parse(row.result_json) as R };
}

const SUMMARY_COLUMNS = ['id', 'scenario', 'started_at', 'ended_at', 'speed', 'verdict', 'detect_s', 'mitigate_s', 'slowed_share', 'failed_share', 'diagnosis_ok'] as const;

type SummaryRow = Pick<DrillRunTable, Exclude<(typeof SUMMARY_COLUMNS)[number], 'id'>> & { id: number };

export function toSummary(row: SummaryRow): DrillRunSummary {
  return {
    id: Number(row.id),
    scenario: row.scenario,
    startedAt: Number(row.started_at),
    endedAt: Number(row.ended_at),
    speed: Number(row.speed),
    verdict: row.verdict,
    detectS: nullableNumber(row.detect_s),
    mitigateS: nullableNumber(row.mitigate_s),
    slowedShare: nullableNumber(row.slowed_share),
    failedShare: nullableNumber(row.failed_share),
    diagnosisOk: row.diagnosis_ok === null ? null : Number(row.diagnosis_ok) === 1,
  };
}

function finiteOrNull(value: number | undefined): number | null {
  return value !== undefined && Number.isFinite(value) ? value : null;
}

function nullableNumber(value: number | null): number | null {
  return value === null ? null : Number(value);
}
