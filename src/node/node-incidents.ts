import type { Config } from '../config/index.js';
import { EVENT_KINDS, listEvents, type Store } from '../control/index.js';
import { addImpact, alertResolved, getIncident, listIncidents, markMilestone, MAX_INCIDENT_LIMIT, NODE_WIDE_POOL, openOrJoinIncident, resolveOrphanedIncident, type Incident } from '../incident/index.js';
import type { Alert, AlertAction } from '../monitor/index.js';
import { RING_SECONDS, secondImpactOf, type Telemetry } from '../telemetry/index.js';
import type { Logger } from './logger.js';

// Incidents as a node keeps them (docs/incidents.md): an alert that fires opens or joins its pool's
// incident, one that resolves may close it; the automatic rollback marks the incident identified and
// mitigated; a change a person applies to the pool while it is open marks it mitigated; and every
// second the pool's traffic of the last whole second is added to the incident's impact. The store is
// written once a second per open incident at most, never per request.

export interface NodeIncidentsOptions {
  telemetry: Telemetry;
  /** The live config (monitor.latency.p95_ms is the SLO of `slowed`); read every tick. */
  config: () => Config;
  store: Store;
  logger: Logger;
  /** As NodeMonitorOptions.lagMs: how far behind real time whole seconds of telemetry are. */
  lagMs: number;
  now?: () => number;
}

/** How often impact is counted and person-applied changes are looked for. */
export const INCIDENT_TICK_MS = 1000;
/** The node's own name on milestones it marks (the automatic rollback). */
export const NODE_ACTOR = 'node';
/** The actor of the monitor's automatic rollback in change events: not a person. */
const AUTOMATIC_ACTORS = new Set(['monitor', NODE_ACTOR]);
const CHANGE_EVENTS_PER_TICK = 1000;
/** Why an incident left open by the previous process of a single node is resolved at start. */
export const RESTART_NOTE = 'the node restarted; the alerts it held are re-evaluated from scratch';

interface Tracked {
  readonly pool: string;
  /** Changes applied before the incident was detected are not its mitigation. */
  readonly detectedAt: number;
  /** The next whole second whose traffic is not yet counted. */
  nextSecond: number;
  isMitigated: boolean;
}

export class NodeIncidents {
  readonly #options: NodeIncidentsOptions;
  readonly #now: () => number;
  /** Open incidents this node counts impact for, by id. */
  readonly #tracked = new Map<number, Tracked>();
  /** The incident each firing alert of this node joined. */
  readonly #incidentOfAlert = new Map<string, number>();
  /** Proxy errors (no backend: no healthy one, queue full) counted so far, per pool. */
  readonly #proxyErrorsSeen = new Map<string, number>();
  #changeEventsAfterSeq: number | undefined;
  #changeEventsSince: number;
  #timer: NodeJS.Timeout | undefined;
  #tick: Promise<void> = Promise.resolve();
  #isTicking = false;
  #isClosed = false;
  #starting: Promise<void> = Promise.resolve();

  constructor(options: NodeIncidentsOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#changeEventsSince = this.#now();
    for (const counter of options.telemetry.proxyErrors()) this.#proxyErrorsSeen.set(counter.pool, (this.#proxyErrorsSeen.get(counter.pool) ?? 0) + counter.count);
  }

  /**
   * Deals with incidents already open: on PostgreSQL (a fleet) they may be other nodes' and are counted
   * from now on; on SQLite they were left by this node's previous process and are resolved. Then
   * starts the 1-second tick.
   */
  start(): Promise<void> {
    this.#starting = this.#start();
    return this.#starting;
  }

  async #start(): Promise<void> {
    try {
      const { store, logger } = this.#options;
      const open = await listIncidents(store, { status: 'open', limit: MAX_INCIDENT_LIMIT });
      for (const incident of open) {
        // SQLite means this node is the only one: its alerts went with the process that held them, so
        // they will never resolve and a new alert must not join an incident of before the restart.
        if (store.dialect === 'sqlite') {
          await resolveOrphanedIncident(store, incident.id, RESTART_NOTE, this.#now());
          logger.info({ incident: incident.id }, `incident ${incident.id} resolved: ${RESTART_NOTE}`);
        } else {
          this.#track(incident, this.#lastWholeSecond() + 1);
        }
      }
    } catch (error) {
      this.#options.logger.error({ err: error }, 'incidents: could not read or close the open incidents of before the start; impact is counted for new ones only');
    }
    if (this.#isClosed) return;
    this.#timer = setInterval(() => {
      if (this.#isTicking) return;
      this.#isTicking = true;
      this.#tick = this.tick().finally(() => {
        this.#isTicking = false;
      });
    }, INCIDENT_TICK_MS);
    this.#timer.unref();
  }

  /** Stops the tick and waits for a running one (its store writes). */
  async close(): Promise<void> {
    this.#isClosed = true;
    await this.#starting;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    await this.#tick;
  }

  /** An alert fired: open or join its pool's incident. */
  async alertFired(alert: Alert): Promise<void> {
    try {
      const { incident, opened } = await openOrJoinIncident(this.#options.store, alert, this.#now());
      this.#incidentOfAlert.set(alert.fingerprint, incident.id);
      // Impact is counted from the first sign, as far back as telemetry still holds it.
      this.#track(incident, Math.floor((incident.milestones.started?.at ?? this.#now()) / 1000));
      const log = opened ? this.#options.logger.warn.bind(this.#options.logger) : this.#options.logger.info.bind(this.#options.logger);
      log({ incident: incident.id, alert: alert.fingerprint, pool: incident.pool }, opened ? `incident ${incident.id} opened: ${incident.title}` : `alert ${alert.fingerprint} joined incident ${incident.id}`);
    } catch (error) {
      this.#options.logger.error({ err: error, alert: alert.fingerprint }, `incidents: could not open or join an incident for alert ${alert.fingerprint}`);
    }
  }

  /** An alert resolved: its incident resolves when it was the last of its alerts. */
  async alertResolved(alert: Alert): Promise<void> {
    this.#incidentOfAlert.delete(alert.fingerprint);
    try {
      const incident = await alertResolved(this.#options.store, alert, this.#now());
      if (incident?.status !== 'resolved') return;
      this.#tracked.delete(incident.id);
      this.#options.logger.info({ incident: incident.id, pool: incident.pool }, `incident ${incident.id} resolved: every related alert resolved`);
    } catch (error) {
      this.#options.logger.error({ err: error, alert: alert.fingerprint }, `incidents: could not record that alert ${alert.fingerprint} resolved on its incident`);
    }
  }

  /**
   * The automatic rollback undid the change the alert's diagnosis blamed: the cause is identified (by
   * the node, naming the change and the cause) and the incident mitigated (the rollback's summary).
   */
  async rolledBack(alert: Alert, action: AlertAction): Promise<void> {
    const id = this.#incidentOfAlert.get(alert.fingerprint);
    if (id === undefined) return;
    const cause = alert.causes.find((candidate) => candidate.changeId !== undefined && candidate.changeId === action.changeId) ?? alert.causes[0];
    const changeName = action.changeId === undefined ? 'the most recent change' : `change ${action.changeId}`;
    // The cause's summary names the change already ("change 42 (automation 'weights.sh', 09:58) raised ...").
    const identified = `${cause === undefined || cause.summary === '' ? changeName : cause.summary}; rolled back automatically`;
    try {
      await markMilestone(this.#options.store, id, 'identified', NODE_ACTOR, identified, action.at);
      await markMilestone(this.#options.store, id, 'mitigated', NODE_ACTOR, action.summary, action.at);
      const tracked = this.#tracked.get(id);
      if (tracked !== undefined) tracked.isMitigated = true;
    } catch (error) {
      this.#options.logger.error({ err: error, incident: id }, `incidents: could not mark incident ${id} identified and mitigated by the automatic rollback`);
    }
  }

  /** One tick: the impact of the last whole seconds, then changes people applied. Exposed for tests. */
  async tick(): Promise<void> {
    if (this.#tracked.size > 0) {
      await this.#countImpact();
      await this.#noticeAppliedChanges();
    } else {
      this.#changeEventsSince = this.#now();
      this.#changeEventsAfterSeq = undefined;
      this.#syncProxyErrors();
    }
  }

  #track(incident: Incident, fromSecond: number): void {
    if (incident.status !== 'open') return;
    const oldest = this.#lastWholeSecond() - RING_SECONDS + 1;
    const existing = this.#tracked.get(incident.id);
    if (existing !== undefined) return;
    this.#tracked.set(incident.id, { pool: incident.pool, detectedAt: incident.milestones.detected?.at ?? this.#now(), nextSecond: Math.max(fromSecond, oldest), isMitigated: incident.milestones.mitigated !== undefined });
  }

  #lastWholeSecond(): number {
    return Math.floor((this.#now() - this.#options.lagMs) / 1000) - 1;
  }

  async #countImpact(): Promise<void> {
    const { telemetry, store, logger } = this.#options;
    const lastSecond = this.#lastWholeSecond();
    const sloMs = this.#options.config().monitor.latency.p95_ms;
    const proxyErrors = this.#syncProxyErrors();
    for (const [id, tracked] of this.#tracked) {
      const backends: Record<string, { requests: number; slowed: number; failed: number }> = {};
      const delta = { requests: 0, slowed: 0, failed: 0, sloMs, backends };
      for (const series of telemetry.allSeries()) {
        if (tracked.pool !== NODE_WIDE_POOL && series.poolName !== tracked.pool) continue;
        const name = tracked.pool === NODE_WIDE_POOL ? `${series.poolName}/${series.id}` : series.id;
        for (let second = tracked.nextSecond; second <= lastSecond; second++) {
          const impact = secondImpactOf(series, second, sloMs);
          if (impact.requests === 0) continue;
          const counted = (backends[name] ??= { requests: 0, slowed: 0, failed: 0 });
          counted.requests += impact.requests;
          counted.slowed += impact.slowed;
          counted.failed += impact.failed;
          delta.requests += impact.requests;
          delta.slowed += impact.slowed;
          delta.failed += impact.failed;
        }
      }
      // Errors evenkeel answered itself without a backend: counted as they are seen, not per second.
      const unattributed = tracked.pool === NODE_WIDE_POOL ? [...proxyErrors.values()].reduce((sum, count) => sum + count, 0) : (proxyErrors.get(tracked.pool) ?? 0);
      delta.requests += unattributed;
      delta.failed += unattributed;
      tracked.nextSecond = Math.max(tracked.nextSecond, lastSecond + 1);
      if (delta.requests === 0) continue;
      try {
        await addImpact(store, id, delta, this.#now());
      } catch (error) {
        logger.error({ err: error, incident: id }, `incidents: could not add impact to incident ${id}`);
      }
    }
  }

  /** Proxy errors since the last call, per pool. */
  #syncProxyErrors(): Map<string, number> {
    const totals = new Map<string, number>();
    for (const counter of this.#options.telemetry.proxyErrors()) totals.set(counter.pool, (totals.get(counter.pool) ?? 0) + counter.count);
    const since = new Map<string, number>();
    for (const [pool, total] of totals) {
      const added = total - (this.#proxyErrorsSeen.get(pool) ?? 0);
      if (added > 0 && pool !== '') since.set(pool, added);
      this.#proxyErrorsSeen.set(pool, total);
    }
    return since;
  }

  /** A change a person applied to an open incident's pool marks it mitigated (if nothing did before). */
  async #noticeAppliedChanges(): Promise<void> {
    const { store, logger } = this.#options;
    let events;
    try {
      events = await listEvents(store, { kind: EVENT_KINDS.changeApplied, ...(this.#changeEventsAfterSeq === undefined ? { since: this.#changeEventsSince } : { afterSeq: this.#changeEventsAfterSeq }), limit: CHANGE_EVENTS_PER_TICK });
    } catch (error) {
      logger.error({ err: error }, 'incidents: could not read applied changes');
      return;
    }
    if (events.length > 0) this.#changeEventsAfterSeq = events[events.length - 1]!.seq;
    for (const event of events) {
      if (AUTOMATIC_ACTORS.has(event.actor)) continue;
      const data = (typeof event.data === 'object' && event.data !== null ? event.data : {}) as { changeId?: unknown; version?: unknown; diff?: unknown };
      const diff = Array.isArray(data.diff) ? data.diff.filter((line): line is string => typeof line === 'string') : [];
      for (const [id, tracked] of this.#tracked) {
        if (tracked.isMitigated || event.at < tracked.detectedAt || !touchesPool(diff, tracked.pool)) continue;
        const change = typeof data.changeId === 'number' ? `change ${data.changeId}` : 'a change';
        const version = typeof data.version === 'number' ? ` (version ${data.version})` : '';
        try {
          // Another node of the fleet may have seen the same change first.
          if ((await getIncident(store, id)).milestones.mitigated !== undefined) {
            tracked.isMitigated = true;
            continue;
          }
          const incident = await markMilestone(store, id, 'mitigated', event.actor, `${change} applied by ${event.actor}${version}`, event.at);
          tracked.isMitigated = true;
          logger.info({ incident: id, change: data.changeId }, `incident ${incident.id} mitigated: ${change} applied by ${event.actor}`);
        } catch (error) {
          logger.error({ err: error, incident: id }, `incidents: could not mark incident ${id} mitigated by ${change}`);
        }
      }
    }
  }
}

/** True when the change's diff names the pool ("pools.portal: web-1 weight 100 -> 400"); any change for node-wide incidents. */
function touchesPool(diff: readonly string[], pool: string): boolean {
  if (pool === NODE_WIDE_POOL) return diff.length > 0;
  return diff.some((line) => line.startsWith(`pools.${pool}:`) || line.startsWith(`pools.${pool}.`) || line.startsWith(`pools.${pool} `));
}
