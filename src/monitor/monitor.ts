import type { MonitorConfig } from '../config/index.js';
import type { Telemetry } from '../telemetry/index.js';
import type { Alert, AlertAction, AlertTransition, ContextEvent, RuleFinding } from './alert.js';
import { AlertLifecycle } from './alert-lifecycle.js';
import { DEFAULT_LOOK_BACK_MS, describeAlert, diagnose } from './diagnosis.js';
import { evaluateRules, RuleState, type MonitoredPool, type MonitorInput } from './evaluate-rules.js';

// The monitor of one node: every tick it evaluates the rules on the telemetry windows, moves the
// alerts through their lifecycle, diagnoses an alert as it fires, and hands each transition to the
// node (which stores it, writes it to the audit log, delivers it and may roll a change back).

/** The pace when monitor.interval cannot be read, and the floor a test config can set. */
const DEFAULT_INTERVAL_MS = 1000;
const MIN_INTERVAL_MS = 10;

export interface MonitorLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface MonitorOptions {
  telemetry: Telemetry;
  /** Read every tick, so a reload shows at once. */
  pools: () => Iterable<MonitoredPool>;
  inflightOf: MonitorInput['inflightOf'];
  /** The live config's monitor section, read every tick. */
  config: () => MonitorConfig;
  /** Audit events since `sinceMs` (config changes, health transitions); called only when an alert is about to fire. */
  recentEvents: (sinceMs: number) => Promise<readonly ContextEvent[]>;
  /** Awaited in order, once per transition: the node stores the alert, appends alert.state_changed, delivers it, and may roll back. */
  onTransition: (transition: AlertTransition) => Promise<void>;
  now?: () => number;
  /** Subtracted from now when reading windows: a cluster primary passes 2000 because its last seconds are partial. */
  lagMs?: number;
  /** How far before an alert's onset the diagnosis reads events: policy.auto_rollback.window; 10 minutes by default. */
  lookBackMs?: () => number;
  /** A failed tick or transition is logged here, once. */
  logger?: MonitorLogger;
}

export class Monitor {
  readonly #options: MonitorOptions;
  readonly #now: () => number;
  readonly #state = new RuleState();
  readonly #lifecycle = new AlertLifecycle();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #isStarted = false;

  constructor(options: MonitorOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** Evaluates every config().interval. The timer is unref'd, and a slow tick never overlaps the next. */
  start(): void {
    if (this.#isStarted) return;
    this.#isStarted = true;
    this.#schedule();
  }

  /** Stops the timer and waits for a running tick. */
  async stop(): Promise<void> {
    this.#isStarted = false;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /**
   * One tick. Transitions are handed to onTransition in order, each awaited; if any of those calls
   * throws, the others still run and the first error is thrown at the end.
   */
  evaluate(nowMs: number = this.#now()): Promise<readonly AlertTransition[]> {
    // Ticks never overlap: one called while another runs waits for it.
    const previous = this.#running ?? Promise.resolve();
    const tick = previous.then(() => this.#tick(nowMs));
    // What stop() and the next tick wait for: settles when the tick does, never rejects (the
    // caller of evaluate() gets the error).
    const settled: Promise<void> = tick.then(
      () => undefined,
      () => undefined,
    );
    this.#running = settled;
    void settled.then(() => {
      if (this.#running === settled) this.#running = undefined;
    });
    return tick;
  }

  /** Unresolved alerts (pending and firing), most severe first. */
  alerts(): readonly Alert[] {
    return this.#lifecycle.active();
  }

  /** Unresolved plus recently resolved alerts (bounded in memory), newest first. */
  recent(limit?: number): readonly Alert[] {
    return this.#lifecycle.recent(limit);
  }

  /** Records what the node did about an alert (an automatic rollback); the alert's summary says so. */
  addAction(fingerprint: string, action: AlertAction): Alert | undefined {
    return this.#lifecycle.addAction(fingerprint, action);
  }

  /** Takes over unresolved alerts stored by the fleet's previous monitor leader (AlertLifecycle.adopt). */
  adopt(alerts: readonly Alert[]): readonly Alert[] {
    return this.#lifecycle.adopt(alerts);
  }

  /** The current total request rate and its baseline (undefined while warming up). */
  traffic(): { rps: number; baselineRps: number | undefined } {
    return this.#state.traffic();
  }

  async #tick(nowMs: number): Promise<readonly AlertTransition[]> {
    const config = this.#options.config();
    if (!config.enabled) return this.#handOver(this.#lifecycle.resolveAll(nowMs));
    const input: MonitorInput = { telemetry: this.#options.telemetry, pools: this.#options.pools(), inflightOf: this.#options.inflightOf };
    const findings = evaluateRules(input, config, this.#state, nowMs - (this.#options.lagMs ?? 0), nowMs);
    const moved = this.#lifecycle.advance(findings, nowMs);
    const diagnosed = await this.#diagnose(moved, findings, config, nowMs);
    return this.#handOver(diagnosed);
  }

  /** Fills the diagnosis of alerts that fire now, and refreshes the numbers of those already firing. */
  async #diagnose(moved: AlertTransition[], findings: readonly RuleFinding[], config: MonitorConfig, nowMs: number): Promise<AlertTransition[]> {
    const lookBackMs = this.#options.lookBackMs?.() ?? DEFAULT_LOOK_BACK_MS;
    const traffic = this.#state.traffic();
    const describe = { traffic, spikeRatio: config.traffic.spike_ratio, dropRatio: config.traffic.drop_ratio, findings, lookBackMs };
    const firing = moved.filter((transition) => transition.to === 'firing');
    const firingNow = new Set(firing.map((transition) => transition.alert.fingerprint));
    for (const alert of this.#lifecycle.active()) {
      const finding = this.#lifecycle.findingOf(alert.fingerprint);
      if (alert.state !== 'firing' || firingNow.has(alert.fingerprint) || finding === undefined) continue;
      this.#lifecycle.diagnose(alert.fingerprint, { summary: describeAlert({ ...describe, finding }, alert.causes) });
    }
    if (firing.length === 0) return moved;
    const sinceMs = Math.min(...firing.map((transition) => transition.alert.startedAt)) - lookBackMs;
    const events = await this.#recentEvents(sinceMs, nowMs);
    return moved.map((transition) => {
      if (transition.to !== 'firing') return transition;
      const { fingerprint, startedAt } = transition.alert;
      const finding = this.#lifecycle.findingOf(fingerprint);
      if (finding === undefined) return transition;
      const diagnosis = diagnose({ ...describe, finding, onsetMs: startedAt, events });
      const alert = this.#lifecycle.diagnose(fingerprint, diagnosis) ?? transition.alert;
      return { ...transition, alert };
    });
  }

  /** A store that cannot answer must not keep an alert from firing: it fires with fewer causes. */
  async #recentEvents(sinceMs: number, nowMs: number): Promise<readonly ContextEvent[]> {
    try {
      return await this.#options.recentEvents(sinceMs);
    } catch (error) {
      this.#options.logger?.warn({ err: error, sinceMs, nowMs }, 'monitor: could not read recent events for the diagnosis; the alert fires without its causes');
      return [];
    }
  }

  async #handOver(transitions: readonly AlertTransition[]): Promise<readonly AlertTransition[]> {
    let failure: unknown;
    for (const transition of transitions) {
      try {
        await this.#options.onTransition(transition);
      } catch (error) {
        // The first failure is thrown once all transitions were handed over; later ones are logged here.
        if (failure === undefined) failure = error;
        else this.#options.logger?.error({ err: error, fingerprint: transition.alert.fingerprint, to: transition.to }, 'monitor: handling an alert transition failed');
      }
    }
    if (failure !== undefined) throw failure;
    return transitions;
  }

  #schedule(): void {
    if (!this.#isStarted) return;
    let intervalMs = DEFAULT_INTERVAL_MS;
    try {
      intervalMs = Math.max(MIN_INTERVAL_MS, this.#options.config().interval);
    } catch (error) {
      // The tick itself reports a config that cannot be read; the timer keeps its default pace.
      this.#options.logger?.error({ err: error }, 'monitor: could not read monitor.interval; the next tick runs in 1 s');
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.evaluate()
        .catch((error: unknown) => this.#options.logger?.error({ err: error }, 'monitor: a tick failed; the next tick runs as usual'))
        .finally(() => this.#schedule());
    }, intervalMs);
    this.#timer.unref();
  }
}
