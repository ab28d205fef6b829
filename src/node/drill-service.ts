import { DrillRequestError, type AdminDrillScenario, type AdminDrillSource, type AdminDrillStatus } from '../admin/index.js';
import { type StoreSession } from '../control/index.js';
import { recordDrillRun } from '../drill/index.js';
import { listBuiltinScenarios, loadScenario, runDrill, type DrillProgress, type DrillResult } from '../drill/index.js';
import type { Logger } from './logger.js';

// A node's drills (issue 6; the dashboard's "start a built-in drill and watch it", issue 7): one
// built-in scenario at a time runs in the background of the node that was asked, reports its
// progress to GET /api/v1/drills/current, and is stored in the node's own store when it finishes
// (so `evenkeel drill history` and GET /api/v1/drills see it). The drill runs against a node of its
// own (src/drill/drill-node.ts), never against the traffic this node serves. Shutting the node down
// aborts a running drill; a drill cut short measured nothing and is not stored.

/** How a node runs a built-in drill; the real one wraps runDrill, tests inject a short one. */
export interface DrillEngine {
  scenarios(): readonly AdminDrillScenario[];
  /** Runs the built-in scenario `name`; resolves with verdict 'error' when the drill itself cannot run. */
  run(name: string, options: { speed?: number; onProgress: (progress: DrillProgress) => void; signal: AbortSignal }): Promise<DrillResult>;
}

export interface DrillServiceOptions {
  /** The node's store: finished runs are recorded there. */
  store: StoreSession;
  engine: DrillEngine;
  logger?: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** How long close() waits for an aborted drill to stop its backends and node (default 10000). */
  closeWaitMs?: number;
}

interface RunningDrill {
  readonly scenario: string;
  readonly speed: number | null;
  readonly startedAt: number;
  readonly startedBy: string;
  readonly controller: AbortController;
  progress: DrillProgress;
  done: Promise<void>;
}

interface FinishedDrill {
  readonly scenario: string;
  readonly speed: number | null;
  readonly startedAt: number;
  readonly startedBy: string;
  readonly endedAt: number;
  readonly verdict: DrillResult['verdict'] | null;
  readonly runId: number | null;
  readonly message: string;
}

const DEFAULT_CLOSE_WAIT_MS = 10_000;

/**
 * The real engine: the package's built-in scenarios (drills/*.yaml), run by runDrill. Only names
 * from that list are run (DrillService checks), so an API caller cannot point it at a file.
 */
export function builtinDrillEngine(logger?: Pick<Logger, 'warn'>): DrillEngine {
  let scenarios: AdminDrillScenario[] | undefined;
  return {
    scenarios() {
      // The shipped files do not change while the node runs: read them once.
      if (scenarios === undefined) {
        scenarios = [];
        for (const builtin of listBuiltinScenarios()) {
          try {
            const { scenario } = loadScenario(builtin.name);
            scenarios.push({ name: builtin.name, title: scenario.title, description: scenario.description.trim() });
          } catch (error) {
            logger?.warn({ err: error, file: builtin.file }, `built-in drill scenario ${builtin.file} is not valid; it is left out`);
          }
        }
      }
      return scenarios;
    },
    run(name, options) {
      const { scenario, file } = loadScenario(name);
      return runDrill(scenario, { speed: options.speed, onProgress: options.onProgress, signal: options.signal, file });
    },
  };
}

export class DrillService implements AdminDrillSource {
  readonly #store: StoreSession;
  readonly #engine: DrillEngine;
  readonly #logger: DrillServiceOptions['logger'];
  readonly #closeWaitMs: number;
  #running: RunningDrill | undefined;
  #last: FinishedDrill | undefined;
  #isClosed = false;

  constructor(options: DrillServiceOptions) {
    this.#store = options.store;
    this.#engine = options.engine;
    this.#logger = options.logger;
    this.#closeWaitMs = options.closeWaitMs ?? DEFAULT_CLOSE_WAIT_MS;
  }

  scenarios(): readonly AdminDrillScenario[] {
    return this.#engine.scenarios();
  }

  /** Starts `scenario` in the background; throws DrillRequestError when one runs or the name is unknown. */
  start(request: { scenario: string; speed?: number; startedBy: string }): AdminDrillStatus {
    if (this.#isClosed) throw new DrillRequestError('EK_DRILL_UNAVAILABLE', 'the node is shutting down; start the drill on a running node');
    const busy = this.#running;
    if (busy !== undefined) {
      throw new DrillRequestError(
        'EK_DRILL_BUSY',
        `a drill of ${busy.scenario} started by ${busy.startedBy} is running (${busy.progress.phase}, ${Math.round(busy.progress.fraction * 100)}%); a node runs one drill at a time: follow it at GET /api/v1/drills/current and start yours when it has finished`,
      );
    }
    const names = this.#engine.scenarios().map((scenario) => scenario.name);
    if (!names.includes(request.scenario)) {
      throw new DrillRequestError('EK_DRILL_SCENARIO_UNKNOWN', `there is no built-in drill scenario ${JSON.stringify(request.scenario)}; the built-in ones are: ${names.join(', ') || 'none'}`);
    }
    const running: RunningDrill = {
      scenario: request.scenario,
      speed: request.speed ?? null,
      startedAt: Date.now(),
      startedBy: request.startedBy,
      controller: new AbortController(),
      progress: { phase: 'starting', fraction: 0, message: `starting the drill ${request.scenario}` },
      done: Promise.resolve(),
    };
    this.#running = running;
    running.done = this.#run(running);
    this.#logger?.info({ scenario: running.scenario, speed: running.speed, by: running.startedBy }, `drill ${running.scenario} started by ${running.startedBy}`);
    return this.current();
  }

  current(): AdminDrillStatus {
    const running = this.#running;
    const last = this.#last;
    if (running !== undefined) {
      return {
        running: true,
        scenario: running.scenario,
        speed: running.speed,
        startedAt: running.startedAt,
        startedBy: running.startedBy,
        phase: running.progress.phase,
        fraction: Math.min(1, Math.max(0, running.progress.fraction)),
        message: running.progress.message,
        endedAt: null,
        verdict: last?.verdict ?? null,
        lastRunId: last?.runId ?? null,
      };
    }
    if (last === undefined) {
      return { running: false, scenario: null, speed: null, startedAt: null, startedBy: null, phase: null, fraction: 0, message: 'no drill has run on this node since it started', endedAt: null, verdict: null, lastRunId: null };
    }
    return {
      running: false,
      scenario: last.scenario,
      speed: last.speed,
      startedAt: last.startedAt,
      startedBy: last.startedBy,
      phase: last.verdict === null ? null : 'report',
      fraction: 1,
      message: last.message,
      endedAt: last.endedAt,
      verdict: last.verdict,
      lastRunId: last.runId,
    };
  }

  /** Resolves when no drill is running (the running one has finished and been stored). */
  idle(): Promise<void> {
    return this.#running?.done ?? Promise.resolve();
  }

  /** Aborts a running drill and waits (bounded) for it to stop; later starts are refused. */
  async close(): Promise<void> {
    this.#isClosed = true;
    const running = this.#running;
    if (running === undefined) return;
    running.controller.abort(new Error('the node is shutting down'));
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), this.#closeWaitMs);
    });
    const isLate = await Promise.race([running.done.then(() => false), gaveUp]);
    clearTimeout(timer);
    if (isLate) this.#logger?.warn({ scenario: running.scenario }, `drill ${running.scenario} did not stop within ${this.#closeWaitMs} ms of the abort; shutting down anyway`);
  }

  /** Runs, records and remembers one drill; never rejects. */
  async #run(running: RunningDrill): Promise<void> {
    let verdict: DrillResult['verdict'] | null = null;
    let runId: number | null = null;
    let message: string;
    try {
      const result = await this.#engine.run(running.scenario, {
        speed: running.speed ?? undefined,
        signal: running.controller.signal,
        onProgress: (progress) => {
          running.progress = progress;
        },
      });
      if (running.controller.signal.aborted) {
        message = `drill ${running.scenario} stopped: the node is shutting down (not stored)`;
        this.#logger?.info({ scenario: running.scenario }, message);
      } else {
        verdict = result.verdict;
        runId = await recordDrillRun(this.#store, result, { actor: running.startedBy });
        message = `drill ${running.scenario} finished: ${result.verdict.toUpperCase()}${result.error === undefined ? '' : ` (${result.error})`}; stored as run ${runId}`;
        this.#logger?.info({ scenario: running.scenario, verdict, run: runId }, message);
      }
    } catch (error) {
      message = `drill ${running.scenario} failed: ${error instanceof Error ? error.message : String(error)}`;
      this.#logger?.error({ err: error, scenario: running.scenario }, message);
    }
    this.#last = { scenario: running.scenario, speed: running.speed, startedAt: running.startedAt, startedBy: running.startedBy, endedAt: Date.now(), verdict, runId, message };
    this.#running = undefined;
  }
}
