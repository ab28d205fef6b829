import { InvalidArgumentError, Option, type Command } from 'commander';
import { openStore } from '../control/index.js';
import { recordDrillRun } from '../drill/index.js';
import {
  DRILL_PHASES,
  listBuiltinScenarios,
  loadScenario,
  parseScenarioText,
  runDrill,
  scenarioText,
  writeDrillReport,
  type DrillProgress,
  type DrillResult,
} from '../drill/index.js';
import type { AdminOutput } from './admin-command.js';
import { addDrillHistoryCommand, DEFAULT_DRILL_STORE_URL } from './drill-history-command.js';
import { formatTable, percent } from './table.js';

// `evenkeel drill list|show|run|history` (docs/drills.md): rehearse an incident against a real node
// on 127.0.0.1, measure how fast evenkeel saw it and how much users felt it, and keep the result.

export const DRILL_EXIT_PASS = 0;
export const DRILL_EXIT_FAIL = 1;
/** Bad usage, a scenario that cannot be read, or a drill that could not run. */
export const DRILL_EXIT_ERROR = 2;

export interface DrillCommandContext {
  readonly output: AdminOutput;
  /** Where the progress bar goes; drawn in place only when it is a TTY. */
  readonly progress: NodeJS.WriteStream;
  setExitCode(code: number): void;
}

const processContext: DrillCommandContext = {
  output: { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) },
  progress: process.stderr,
  setExitCode: (code) => {
    process.exitCode = code;
  },
};

export function registerDrillCommands(program: Command, context: DrillCommandContext = processContext): void {
  const { output } = context;
  const drill = program
    .command('drill')
    .description('Rehearse incidents: run a scenario against a real evenkeel node on 127.0.0.1 and measure time to detect, time to mitigate and the requests users felt.');

  drill
    .command('list')
    .description('List the built-in scenarios.')
    .action(() => {
      const rows = listBuiltinScenarios().map(({ name }) => {
        try {
          return [name, parseScenarioText(scenarioText(name), name).title];
        } catch (error) {
          return [name, `(invalid: ${(error as Error).message.split('\n')[0]})`];
        }
      });
      output.out(`${formatTable(['SCENARIO', 'TITLE'], rows).trimEnd()}\nRun one with \`evenkeel drill run NAME\`; copy one with \`evenkeel drill show NAME > mine.yaml\`.\n`);
    });

  drill
    .command('show')
    .argument('<scenario>', 'a built-in scenario name or a scenario file')
    .description('Print a scenario\'s YAML, comments included, to copy and edit.')
    .action((name: string) => {
      try {
        output.out(scenarioText(name));
      } catch (error) {
        failWith(context, error);
      }
    });

  drill
    .command('run')
    .argument('<scenario>', 'a built-in scenario name (see `drill list`) or the path of a scenario file')
    .description('Run a drill: start synthetic backends, an evenkeel node on a fresh store and session traffic, inject the fault, measure, and judge the targets.')
    .addOption(new Option('--speed <n>', 'divide the scenario\'s durations and the traffic baseline\'s learning time by N (detection windows stay real)').argParser(parseSpeed).default(1))
    .option('--report <dir>', 'write drill-report.md and drill-report.json (and incident reports) into this directory')
    .option('--json', 'print the result as JSON instead of a table')
    .option('--store <url>', 'record the run in this store for `drill history` (sqlite://PATH or postgres://...)', DEFAULT_DRILL_STORE_URL)
    .option('--no-store', 'do not record the run')
    .addHelpText(
      'after',
      `
Speed: --speed 4 runs a scenario with a 20 s warmup in 5 s; the node's traffic baseline learns 4x
faster. Alert windows and "for" durations are not scaled, so detect and mitigate times are real
seconds, judged against the scenario's targets as written.

Example:
  $ evenkeel drill run postmortem-2024-05-01 --speed 4 --report ./drill
  TARGET        EXPECTED                             MEASURED          RESULT
  detect_s      skew or inflight_skew fires <= 10 s  5.1 s             pass
  mitigate_s    rolled back <= 30 s                  5.3 s             pass
  ...
  PASS postmortem-2024-05-01 in 32 s; report in ./drill; recorded as run 3

Exit status: 0 every target passed, 1 a target failed, 2 bad usage or the drill could not run.`,
    )
    .action(async (name: string, options: { speed: number; report?: string; json?: boolean; store: string | false }) => {
      let loaded: ReturnType<typeof loadScenario>;
      try {
        loaded = loadScenario(name);
      } catch (error) {
        failWith(context, error);
        return;
      }
      const bar = new ProgressLine(context.progress);
      const abort = new AbortController();
      const onSignal = () => abort.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      let result: DrillResult;
      try {
        result = await runDrill(loaded.scenario, { speed: options.speed, file: loaded.file, signal: abort.signal, onProgress: (progress) => bar.draw(progress) });
      } finally {
        bar.end();
        process.removeListener('SIGINT', onSignal);
        process.removeListener('SIGTERM', onSignal);
      }
      const written = options.report === undefined ? [] : await writeReport(context, options.report, result);
      const runId = options.store === false ? undefined : await record(context, options.store, result);
      if (options.json === true) output.out(`${JSON.stringify(result, null, 2)}\n`);
      else printResult(output, result, options.report !== undefined && written.length > 0 ? options.report : undefined, runId);
      context.setExitCode(result.verdict === 'pass' ? DRILL_EXIT_PASS : result.verdict === 'fail' ? DRILL_EXIT_FAIL : DRILL_EXIT_ERROR);
    });

  addDrillHistoryCommand(drill);
}

function parseSpeed(text: string): number {
  const speed = Number(text);
  if (!(speed > 0 && speed <= 100)) throw new InvalidArgumentError(`expected a number above 0 and at most 100, such as 4, got ${JSON.stringify(text)}`);
  return speed;
}

function failWith(context: DrillCommandContext, error: unknown): void {
  context.output.err(`${error instanceof Error ? error.message : String(error)}\n`);
  context.setExitCode(DRILL_EXIT_ERROR);
}

async function writeReport(context: DrillCommandContext, dir: string, result: DrillResult): Promise<string[]> {
  try {
    return await writeDrillReport(dir, result);
  } catch (error) {
    context.output.err(`could not write the drill report to ${dir}: ${(error as Error).message}\n`);
    return [];
  }
}

async function record(context: DrillCommandContext, url: string, result: DrillResult): Promise<number | undefined> {
  try {
    const store = await openStore(url);
    try {
      return await recordDrillRun(store, result);
    } finally {
      await store.close();
    }
  } catch (error) {
    context.output.err(`could not record the drill run in ${url}: ${(error as Error).message} (pass --no-store to skip recording)\n`);
    return undefined;
  }
}

function printResult(output: AdminOutput, result: DrillResult, reportDir: string | undefined, runId: number | undefined): void {
  const seconds = Math.round((result.endedAt - result.startedAt) / 1000);
  if (result.verdict === 'error') {
    output.out(`ERROR ${result.scenario.name}: the drill could not run: ${result.error ?? 'unknown error'}\n`);
    return;
  }
  output.out(`${formatTable(['TARGET', 'EXPECTED', 'MEASURED', 'RESULT'], result.targets.map((target) => [target.name, target.expected, target.measured, target.passed ? 'pass' : 'FAIL'])).trimEnd()}\n`);
  const { figures } = result;
  output.out(`requests from the fault on: ${figures.requests}, slowed ${percent(figures.slowedShare)}, failed ${percent(figures.failedShare)}\n`);
  if (figures.diagnosis !== undefined) output.out(`diagnosis: ${figures.diagnosis}\n`);
  const where = [reportDir === undefined ? '' : `report in ${reportDir}`, runId === undefined ? '' : `recorded as run ${runId}`].filter(Boolean).join('; ');
  output.out(`${result.verdict.toUpperCase()} ${result.scenario.name} in ${seconds} s${where === '' ? '' : `; ${where}`}\n`);
}

/** One line on stderr redrawn in place when it is a TTY; a line per phase otherwise. */
class ProgressLine {
  readonly #stream: NodeJS.WriteStream;
  readonly #startedAt = Date.now();
  #lastPhase: string | undefined;
  #isDrawn = false;

  constructor(stream: NodeJS.WriteStream) {
    this.#stream = stream;
  }

  draw(progress: DrillProgress): void {
    const elapsed = `${Math.round((Date.now() - this.#startedAt) / 1000)} s`;
    if (this.#stream.isTTY !== true) {
      if (progress.phase !== this.#lastPhase) this.#stream.write(`[${elapsed}] ${progress.phase}: ${progress.message}\n`);
      this.#lastPhase = progress.phase;
      return;
    }
    const width = 24;
    const filled = Math.round(progress.fraction * width);
    const phases = DRILL_PHASES.map((phase) => (phase === progress.phase ? phase.toUpperCase() : phase)).join(' > ');
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${elapsed.padStart(5)}  ${phases}  ${progress.message}`;
    const columns = this.#stream.columns ?? 120;
    this.#stream.write(`\r${line.slice(0, columns - 1).padEnd(columns - 1)}`);
    this.#isDrawn = true;
  }

  end(): void {
    if (this.#isDrawn) this.#stream.write('\n');
  }
}
