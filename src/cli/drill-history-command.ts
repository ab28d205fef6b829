import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { configSchema } from '../config/index.js';
import { openStore, parseStoreUrl, type Store } from '../control/index.js';
import { drillHistory, type DrillFigureName, type DrillFigureTrend, type DrillTrend, type ScenarioDrillHistory } from '../drill/index.js';
import { adminAction, printJson, processContext, UsageError, type AdminContext, type AdminOutput } from './admin-command.js';
import { parseWholeNumber } from './change-command.js';
import { formatTable, isoTime, percent } from './table.js';

// `evenkeel drill history`: the stored drill runs of a store, per scenario, with the trend of each
// figure, so a team sees whether its quarterly drills get better. It reads the store directly (the
// node that ran the drills need not be running): by default the store `serve` uses with no store.url.

/** The store of `serve` when the config sets no store.url (src/config/schema.ts). */
export const DEFAULT_DRILL_STORE_URL: string = configSchema.shape.store.parse(undefined).url;

const FIGURE_LABELS: Readonly<Record<DrillFigureName, string>> = { detect_s: 'detect', mitigate_s: 'mitigate', slowed_share: 'slowed', failed_share: 'failed' };
const TREND_WORDS: Readonly<Record<DrillTrend, string>> = { better: 'better', worse: 'WORSE', same: 'same' };

/** Adds `history [SCENARIO]` to the `drill` command. */
export function addDrillHistoryCommand(drill: Command, context: AdminContext = processContext): void {
  const { output } = context;
  drill
    .command('history')
    .argument('[scenario]', 'only this scenario (its name, as `drill list` shows it)')
    .description('Show the stored drill runs per scenario and whether each figure got better: time to detect, time to mitigate, slowed and failed requests.')
    .option('--store <url>', `the store the drills were recorded in (sqlite://PATH or postgres://...)`, DEFAULT_DRILL_STORE_URL)
    .option('--limit <n>', 'only the last N runs of each scenario (the trend compares these)', parseWholeNumber)
    .option('--json', 'print JSON for scripts instead of tables')
    .addHelpText(
      'after',
      `
Lower is better for every figure; compare runs made at the same speed. A run where no alert fired (or nothing was mitigated) counts as
worse than any time; a run whose drill could not run (ERROR) is listed but left out of the trend.
A difference within the measuring noise (0.5 s or 5%, 0.2 points of share) is "same".

Example:
  $ evenkeel drill history postmortem-2024-05-01
  postmortem-2024-05-01: 3 runs
  DATE                  SPEED  VERDICT  DETECT  MITIGATE  SLOWED  FAILED
  2026-02-10T09:00:00Z  4x     FAIL     12.1 s  40.0 s    20.0%   2.0%
  2026-05-12T09:00:00Z  4x     PASS     8.0 s   20.0 s    8.0%    1.0%
  2026-08-11T09:00:00Z  4x     PASS     6.3 s   9.8 s     5.0%    0.3%
  trend (latest vs previous; vs first; vs median of earlier runs):
    detect    8.0 s -> 6.3 s, better; first 12.1 s: better; median 10.1 s: better
    ...
Exit status: 0 ok, 2 bad usage or a store that cannot be opened.`,
    )
    .action(
      adminAction(context, async (_client, options, scenario: string | undefined) => {
        const limit = options.limit as number | undefined;
        if (limit === 0) throw new UsageError('--limit must be at least 1');
        const histories = await readHistory(options.store as string, scenario, limit);
        if (options.json === true) return printJson(output, histories);
        printHistories(output, histories, scenario, options.store as string);
      }),
    );
}

async function readHistory(url: string, scenario: string | undefined, limit: number | undefined): Promise<ScenarioDrillHistory[]> {
  let store: Store;
  try {
    const location = parseStoreUrl(url);
    // Opening a SQLite store creates the file: a mistyped --store would look like a store without drills.
    if (location.dialect === 'sqlite' && !location.isMemory && !existsSync(location.filename)) {
      throw new UsageError(`there is no store at ${location.displayUrl}; pass --store with the store the drills were recorded in`);
    }
    store = await openStore(url);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`cannot open the store ${url}: ${(error as Error).message}`);
  }
  try {
    return await drillHistory(store, scenario, { limit });
  } finally {
    await store.close();
  }
}

function printHistories(output: AdminOutput, histories: readonly ScenarioDrillHistory[], scenario: string | undefined, url: string): void {
  if (histories.length === 0) {
    output.out(scenario === undefined ? `no drill runs recorded in ${url}\n` : `no runs of scenario ${scenario} recorded in ${url}\n`);
    return;
  }
  histories.forEach((history, index) => {
    if (index > 0) output.out('\n');
    output.out(`${history.scenario}: ${history.runs.length} ${history.runs.length === 1 ? 'run' : 'runs'}\n`);
    output.out(
      formatTable(
        ['DATE', 'SPEED', 'VERDICT', 'DETECT', 'MITIGATE', 'SLOWED', 'FAILED'],
        history.runs.map((run) => [
          isoTime(run.startedAt),
          `${run.speed}x`,
          run.verdict.toUpperCase(),
          run.verdict === 'error' ? '-' : formatFigure('detect_s', run.detectS),
          run.verdict === 'error' ? '-' : formatFigure('mitigate_s', run.mitigateS),
          formatFigure('slowed_share', run.slowedShare),
          formatFigure('failed_share', run.failedShare),
        ]),
      ),
    );
    const lines = history.trends.filter((trend) => trend.vsPrevious !== undefined).map(trendLine);
    if (lines.length === 0) output.out('trend: one measured run so far; run the drill again to see a trend\n');
    else output.out(`trend (latest vs previous; vs first; vs median of earlier runs):\n${lines.map((line) => `  ${line}\n`).join('')}`);
  });
}

/** "detect    8.0 s -> 6.3 s, better; first 12.1 s: better; median 10.1 s: better" */
function trendLine(trend: DrillFigureTrend): string {
  const { figure } = trend;
  const parts = [`${FIGURE_LABELS[figure].padEnd(8)}  ${formatFigure(figure, trend.previous)} -> ${formatFigure(figure, trend.latest)}, ${TREND_WORDS[trend.vsPrevious!]}`];
  if (trend.vsFirst !== undefined) parts.push(`first ${formatFigure(figure, trend.first)}: ${TREND_WORDS[trend.vsFirst]}`);
  if (trend.vsMedian !== undefined) parts.push(`median ${formatFigure(figure, trend.median)}: ${TREND_WORDS[trend.vsMedian]}`);
  return parts.join('; ');
}

function formatFigure(figure: DrillFigureName, value: number | null): string {
  if (value === null) return figure === 'detect_s' ? 'no alert' : figure === 'mitigate_s' ? 'none' : '-';
  return figure === 'detect_s' || figure === 'mitigate_s' ? `${value.toFixed(1)} s` : percent(value);
}
