import { listAlerts, MAX_ALERT_LIMIT, parseStoreUrl, recordMonitorLockPid, type Store } from '../../control/index.js';
import type { Alert } from '../../monitor/index.js';
import type { Telemetry } from '../../telemetry/index.js';
import type { Logger } from '../logger.js';
import type { NodeMonitor } from '../node-monitor.js';
import { FLEET_READ_INTERVAL_MS, FleetTelemetry } from './fleet-telemetry.js';
import { MonitorLeadership } from './monitor-leadership.js';

/**
 * How much later than a single node the fleet's monitor reads its windows: a node publishes its
 * complete seconds with each 2-second heartbeat, and the leader reads them every 500 ms. Added to the
 * node's own lag (2000 with workers, 0 in one process).
 */
export const FLEET_MONITOR_EXTRA_LAG_MS = 2000 + FLEET_READ_INTERVAL_MS + 1500;

export interface FleetMonitorOptions {
  readonly store: Store;
  readonly storeUrl: string;
  readonly nodeId: string;
  /** How far behind real time the node's own whole seconds are (the lag startMonitor was given). */
  readonly nodeLagMs: number;
  /** Builds the node's monitor on the fleet's telemetry (NodeMonitor: rules, alerts, incidents, rollback), not started. */
  readonly createMonitor: (telemetry: Telemetry, lagMs: number) => NodeMonitor;
  /** Told which monitor runs now (undefined while following), for the admin API and /metrics. */
  readonly onMonitor: (monitor: NodeMonitor | undefined) => void;
  readonly logger: Logger;
}

/**
 * The monitor of a fleet (docs/fleet.md, "One monitor for the fleet"): only the node holding the
 * monitor lock runs a NodeMonitor, on the telemetry every node publishes; it alone records and
 * delivers alerts, opens incidents and rolls back. On taking the lead it takes over the alerts the
 * previous leader left unresolved, so a condition that still holds does not alert, open an incident
 * or roll back a second time, and one that is gone resolves through the new leader.
 */
export class FleetMonitor {
  readonly #options: FleetMonitorOptions;
  readonly #leadership: MonitorLeadership;
  #telemetry: FleetTelemetry | undefined;
  #monitor: NodeMonitor | undefined;

  constructor(options: FleetMonitorOptions) {
    this.#options = options;
    const location = parseStoreUrl(options.storeUrl);
    if (location.dialect !== 'postgres') throw new Error('a fleet monitor needs a PostgreSQL store');
    this.#leadership = new MonitorLeadership({
      connectionString: location.connectionString,
      schema: location.schema,
      onLeading: (pid) => this.#lead(pid),
      onFollowing: () => this.#follow(),
      logger: options.logger,
    });
  }

  get isLeader(): boolean {
    return this.#leadership.isLeader;
  }

  /** Tries for the lock once (a lone node leads when this resolves), then every second. */
  start(): Promise<void> {
    return this.#leadership.start();
  }

  /** Steps down (monitor stopped first) and releases the lock, so another node takes over within a second. */
  close(): Promise<void> {
    return this.#leadership.close();
  }

  async #lead(pid: number): Promise<void> {
    const { store, logger } = this.#options;
    const telemetry = new FleetTelemetry({ store, logger });
    this.#telemetry = telemetry;
    await telemetry.start();
    const monitor = this.#options.createMonitor(telemetry.telemetry, this.#options.nodeLagMs + FLEET_MONITOR_EXTRA_LAG_MS);
    try {
      const adopted = monitor.monitor.adopt(await unresolvedAlerts(store));
      if (adopted.length > 0) {
        logger.info({ alerts: adopted.map((alert) => alert.fingerprint) }, `fleet: took over ${adopted.length} unresolved alert(s) of the previous monitor leader`);
      }
    } catch (error) {
      logger.error({ err: error }, 'fleet: could not read the unresolved alerts of the previous monitor leader; a condition that still holds may alert again');
    }
    monitor.start();
    this.#monitor = monitor;
    this.#options.onMonitor(monitor);
    try {
      await recordMonitorLockPid(store, this.#options.nodeId, pid);
    } catch (error) {
      logger.warn({ err: error }, 'fleet: could not record this node as the monitor leader in the nodes table');
    }
  }

  async #follow(): Promise<void> {
    const monitor = this.#monitor;
    this.#monitor = undefined;
    this.#options.onMonitor(undefined);
    // A tick in progress finishes (its store writes, a rollback); no new one starts.
    await monitor?.close();
    await this.#telemetry?.stop();
    this.#telemetry = undefined;
    // Not awaited: a store that does not answer must not hold up the step-down (pg_locks says who leads anyway).
    void recordMonitorLockPid(this.#options.store, this.#options.nodeId, null).catch(() => undefined);
  }
}

/** The newest unresolved (pending or firing) alert of each fingerprint in the store. */
async function unresolvedAlerts(store: Store): Promise<Alert[]> {
  const alerts = [...(await listAlerts(store, { state: 'firing', limit: MAX_ALERT_LIMIT })), ...(await listAlerts(store, { state: 'pending', limit: MAX_ALERT_LIMIT }))];
  alerts.sort((a, b) => b.startedAt - a.startedAt);
  const byFingerprint = new Map<string, Alert>();
  for (const alert of alerts) if (!byFingerprint.has(alert.fingerprint)) byFingerprint.set(alert.fingerprint, alert);
  return [...byFingerprint.values()];
}
