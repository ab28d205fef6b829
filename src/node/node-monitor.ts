import type { Config } from '../config/index.js';
import { AutoRollback, ChangeError, policyOf, recentContextEvents, recordAlertTransition, updateAlertRecord, type ChangeService, type Store } from '../control/index.js';
import { AlertDelivery, Monitor, type AlertTransition, type MonitoredPool } from '../monitor/index.js';
import type { Telemetry } from '../telemetry/index.js';
import type { Logger } from './logger.js';
import { NodeIncidents } from './node-incidents.js';

// The monitor as a node runs it: the Monitor evaluates the rules every tick; each transition it
// reports is stored with its audit event, handed to delivery (webhooks, Alertmanager), and, when an
// alert fires, offered to automatic rollback, whose action is written back onto the alert. Firing
// alerts are re-sent to Alertmanager on their own timer, as its API expects.

export interface NodeMonitorOptions {
  telemetry: Telemetry;
  /** The live snapshot's pools with their config; read every tick. */
  pools: () => Iterable<MonitoredPool>;
  /** The live config (its monitor: and policy: sections are read every tick). */
  config: () => Config;
  store: Store;
  changes: ChangeService;
  logger: Logger;
  /**
   * Subtracted from now when reading windows. A cluster primary's last seconds are partial until the
   * workers' 1-second deltas arrive, so it passes 2000; a single process counts as requests end: 0.
   */
  lagMs: number;
}

/** How often firing alerts are offered to delivery for Alertmanager's resend (it re-sends every `resend`). */
const RESEND_CHECK_MS = 1000;

export class NodeMonitor {
  readonly monitor: Monitor;
  readonly delivery: AlertDelivery;
  /** Incidents opened, joined and resolved by this monitor's alerts (docs/incidents.md). */
  readonly incidents: NodeIncidents;
  readonly #options: NodeMonitorOptions;
  readonly #autoRollback: AutoRollback;
  #resendTimer: NodeJS.Timeout | undefined;
  /** The live config whose auto-rollback window #lookBackWindowMs holds. */
  #lookBackConfig: Config | undefined;
  #lookBackWindowMs = 0;

  constructor(options: NodeMonitorOptions) {
    this.#options = options;
    const { telemetry, store, logger } = options;
    this.delivery = new AlertDelivery({ config: () => options.config().monitor, logger });
    this.#autoRollback = new AutoRollback({ changes: options.changes, store });
    this.incidents = new NodeIncidents({ telemetry, config: options.config, store, logger, lagMs: options.lagMs });
    this.monitor = new Monitor({
      telemetry,
      pools: options.pools,
      inflightOf: (pool, backend) => telemetry.workerInflight(pool, backend.id) ?? backend.inflight,
      config: () => options.config().monitor,
      recentEvents: (sinceMs) => recentContextEvents(store, sinceMs),
      onTransition: (transition) => this.#onTransition(transition),
      lagMs: options.lagMs,
      lookBackMs: () => this.#lookBackMs(),
      logger,
    });
  }

  /**
   * The auto-rollback window of the live config, read again only when the config object changes:
   * policyOf parses the policy and monitor defaults with zod, 0.3-1 ms on the proxy's event loop,
   * and the monitor asks on every tick.
   */
  #lookBackMs(): number {
    const config = this.#options.config();
    if (config !== this.#lookBackConfig) {
      this.#lookBackWindowMs = policyOf(config).auto_rollback.window;
      this.#lookBackConfig = config;
    }
    return this.#lookBackWindowMs;
  }

  start(): void {
    this.monitor.start();
    void this.incidents.start();
    this.#resendTimer = setInterval(() => this.delivery.resend(this.monitor.alerts().filter((alert) => alert.state === 'firing')), RESEND_CHECK_MS);
    this.#resendTimer.unref();
  }

  /** Stops evaluating (waiting for a running tick, with its store writes and rollback), then flushes delivery. */
  async close(): Promise<void> {
    if (this.#resendTimer !== undefined) clearInterval(this.#resendTimer);
    await this.monitor.stop();
    await this.incidents.close();
    await this.delivery.close();
  }

  async #onTransition(transition: AlertTransition): Promise<void> {
    const { logger, store } = this.#options;
    const { alert } = transition;
    try {
      await recordAlertTransition(store, transition);
    } catch (error) {
      logger.error({ err: error, alert: alert.fingerprint, to: transition.to }, 'could not record the alert transition in the store and audit log');
    }
    this.delivery.deliver(transition);
    const log = transition.to === 'firing' ? logger.warn.bind(logger) : logger.info.bind(logger);
    log({ alert: alert.fingerprint, from: transition.from, to: transition.to }, `alert ${alert.fingerprint} ${transition.to}: ${alert.summary}`);
    if (transition.to === 'firing') {
      await this.incidents.alertFired(alert);
      await this.#considerRollback(transition);
    } else if (transition.to === 'resolved' && transition.from === 'firing') {
      await this.incidents.alertResolved(alert);
    }
  }

  async #considerRollback(transition: AlertTransition): Promise<void> {
    const { logger, store } = this.#options;
    const { alert } = transition;
    try {
      const decision = await this.#autoRollback.consider(alert);
      if (decision.kind === 'skipped') {
        logger.info({ alert: alert.fingerprint, reason: decision.reason }, `no automatic rollback for ${alert.fingerprint}: ${decision.reason}`);
        return;
      }
      logger.warn({ alert: alert.fingerprint, change: decision.action.changeId, rollback: decision.rollback.id, version: decision.rollback.appliedVersion }, `automatic rollback: ${decision.action.summary}`);
      const acted = this.monitor.addAction(alert.fingerprint, decision.action);
      if (acted !== undefined) await updateAlertRecord(store, acted);
      await this.incidents.rolledBack(alert, decision.action);
    } catch (error) {
      if (error instanceof ChangeError && error.code === 'EK_CHANGE_STALE_BASE') {
        // Another node of the fleet (or a person) changed the live version first; this node's rollback
        // proposal stays recorded as proposed and is not applied over theirs.
        logger.warn({ alert: alert.fingerprint, err: error }, `automatic rollback for ${alert.fingerprint} not applied: the live version changed meanwhile (${error.message})`);
        return;
      }
      logger.error({ err: error, alert: alert.fingerprint }, `automatic rollback for ${alert.fingerprint} failed; the change stays live and a person must roll it back`);
    }
  }
}
