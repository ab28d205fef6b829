import type { StoreSession } from '../control/index.js';
import { toSummary, type DrillRunSummary } from './drill-runs.js';

// `evenkeel drill history`: per scenario, the runs in time order and the trend of each figure, so a
// team sees whether its quarterly drills get better. Lower is better for all four figures: seconds
// to detect and to mitigate, shares of slowed and failed requests. A run whose drill could not run
// (verdict error) is listed but left out of the trends: its figures measure nothing.

export const DRILL_FIGURES = ['detect_s', 'mitigate_s', 'slowed_share', 'failed_share'] as const;
export type DrillFigureName = (typeof DRILL_FIGURES)[number];

export type DrillTrend = 'better' | 'worse' | 'same';

export interface DrillFigureTrend {
  readonly figure: DrillFigureName;
  /** The figure of the latest run that measured (null: no alert fired / nothing mitigated). */
  readonly latest: number | null;
  readonly previous: number | null;
  readonly first: number | null;
  /** Median of the measured runs before the latest (runs where the figure is null left out). */
  readonly median: number | null;
  /** Undefined when there is nothing to compare with (a single measured run). */
  readonly vsPrevious: DrillTrend | undefined;
  readonly vsFirst: DrillTrend | undefined;
  readonly vsMedian: DrillTrend | undefined;
}

export interface ScenarioDrillHistory {
  readonly scenario: string;
  /** Oldest first. */
  readonly runs: readonly DrillRunSummary[];
  readonly trends: readonly DrillFigureTrend[];
}

/**
 * Differences smaller than this are 'same': drills measure wall-clock time with a tick of about a
 * second, and a share moves by a few tenths of a percent between identical runs. A difference is
 * 'same' when it is within the larger of this floor and 5% of the larger value.
 */
const SAME_WITHIN: Readonly<Record<DrillFigureName, number>> = { detect_s: 0.5, mitigate_s: 0.5, slowed_share: 0.002, failed_share: 0.002 };
const SAME_RELATIVE = 0.05;

/** Per scenario (alphabetically), its last `limit` runs in time order with the trend of each figure. */
export async function drillHistory(session: StoreSession, scenario?: string, options: { limit?: number } = {}): Promise<ScenarioDrillHistory[]> {
  let select = session.db
    .selectFrom('drill_runs')
    .select(['id', 'scenario', 'started_at', 'ended_at', 'speed', 'verdict', 'detect_s', 'mitigate_s', 'slowed_share', 'failed_share', 'diagnosis_ok']);
  if (scenario !== undefined) select = select.where('scenario', '=', scenario);
  const rows = await select.orderBy('scenario').orderBy('started_at').orderBy('id').execute();
  const byScenario = new Map<string, DrillRunSummary[]>();
  for (const row of rows) {
    const summary = toSummary(row);
    const list = byScenario.get(summary.scenario) ?? [];
    list.push(summary);
    byScenario.set(summary.scenario, list);
  }
  const histories: ScenarioDrillHistory[] = [];
  for (const [name, all] of byScenario) {
    const runs = options.limit === undefined ? all : all.slice(Math.max(0, all.length - options.limit));
    histories.push({ scenario: name, runs, trends: figureTrends(runs) });
  }
  return histories.sort((a, b) => (a.scenario < b.scenario ? -1 : a.scenario > b.scenario ? 1 : 0));
}

/** The trend of each figure over `runs` (oldest first); error runs are skipped. */
export function figureTrends(runs: readonly DrillRunSummary[]): DrillFigureTrend[] {
  const measured = runs.filter((run) => run.verdict !== 'error');
  return DRILL_FIGURES.map((figure) => {
    const values = measured.map((run) => figureOf(run, figure));
    const latest = values.length > 0 ? values[values.length - 1]! : null;
    const previous = values.length > 1 ? values[values.length - 2]! : null;
    const first = values.length > 1 ? values[0]! : null;
    const earlier = values.slice(0, -1).filter((value): value is number => value !== null);
    const median = earlier.length > 0 ? medianOf(earlier) : null;
    const hasEarlier = values.length > 1;
    return {
      figure,
      latest,
      previous,
      first,
      median,
      vsPrevious: hasEarlier ? compareFigure(figure, latest, previous) : undefined,
      vsFirst: hasEarlier ? compareFigure(figure, latest, first) : undefined,
      vsMedian: hasEarlier && (median !== null || latest !== null) ? compareFigure(figure, latest, median) : undefined,
    };
  });
}

/**
 * Latest against an earlier value, lower is better. A null figure means the thing did not happen
 * (no alert fired, nothing was mitigated): worse than any measured time. Shares are never null in a
 * measured run.
 */
export function compareFigure(figure: DrillFigureName, latest: number | null, earlier: number | null): DrillTrend {
  if (latest === null && earlier === null) return 'same';
  if (latest === null) return 'worse';
  if (earlier === null) return 'better';
  const difference = latest - earlier;
  const tolerance = Math.max(SAME_WITHIN[figure], SAME_RELATIVE * Math.max(Math.abs(latest), Math.abs(earlier)));
  if (Math.abs(difference) <= tolerance) return 'same';
  return difference < 0 ? 'better' : 'worse';
}

export function figureOf(run: DrillRunSummary, figure: DrillFigureName): number | null {
  switch (figure) {
    case 'detect_s':
      return run.detectS;
    case 'mitigate_s':
      return run.mitigateS;
    case 'slowed_share':
      return run.slowedShare;
    case 'failed_share':
      return run.failedShare;
  }
}

function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
