import type { BackendState, PoolMembers } from '../balance/index.js';
import type { PoolConfig } from '../config/index.js';
import { ActiveChecker, type ProbeTarget } from './active-checker.js';
import { BackendHealth, NOT_RAMPING, PoolHealth } from './backend-health.js';
import { WHOLE_POOL, type HealthEvent, type HealthEventKind } from './health-event.js';
import { snapshotHealth, type HealthSnapshot } from './health-snapshot.js';
import { decayEjections, expireEjection, OutlierDetector, tryEject } from './outlier-detector.js';
import type { OutcomeObserver } from './outcome-observer.js';
import { shouldPanic } from './panic.js';
import { slowStartFactor } from './slow-start.js';
import { parseStatusRange } from './status-range.js';

// The one writer of BackendState.isHealthy, BackendState.effectiveWeight and PoolMembers.isPanicking.
// It combines three inputs per backend (active checks, passive outlier ejection, slow start) with
// the operator's drain flag:
//
//   effectiveWeight = weight × slowStartFactor × (healthy ? 1 : 0) × (draining ? 0 : 1)
//
// effectiveWeight may be fractional during a ramp (weight 1 at 10% is 0.1); pickers take it as a
// real number. Verdicts that arrive between ticks (a check result, an ejection) are written at
// once; the tick moves the time-based parts (ramps, ejection expiry, decay) forward.

export interface HealthCoordinatorOptions {
  /** Clock in milliseconds; Date.now by default. Tests inject one and call tick(). */
  now?: () => number;
  /** Every health change, for the log and the event log. */
  onChange?: (event: HealthEvent) => void;
  /** How often start() runs tick(); 1000 by default. */
  tickMs?: number;
  /** Uniform [0, 1) for check jitter; Math.random by default. */
  random?: () => number;
}

/** A pool handed to setPools: the runtime members and the config they came from. */
export interface HealthPoolInput {
  members: PoolMembers;
  config: PoolConfig;
}

const DEFAULT_TICK_MS = 1000;

export class HealthCoordinator {
  /** The single-process OutcomeObserver for the proxy (passive outlier detection). */
  readonly observer: OutcomeObserver;
  private readonly now: () => number;
  private readonly onChange: ((event: HealthEvent) => void) | undefined;
  private readonly tickMs: number;
  private readonly checker: ActiveChecker;
  private pools = new Map<string, PoolHealth>();
  /** Every record by "pool/id"; survives reloads. */
  private readonly byKey = new Map<string, BackendHealth>();
  /** Every record by its current BackendState, for the O(1) lookup on the request path. */
  private readonly byState = new Map<BackendState, BackendHealth>();
  private hasPools = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: HealthCoordinatorOptions = {}) {
    this.now = options.now ?? Date.now;
    this.onChange = options.onChange;
    this.tickMs = options.tickMs ?? DEFAULT_TICK_MS;
    this.checker = new ActiveChecker({ onChange: (key, isUp, reason) => this.applyCheck(key, isUp, reason), random: options.random });
    this.observer = new OutlierDetector(this.byState, (record) => this.applyStreak(record));
  }

  /**
   * Points health at a (new) set of pools; call at start and after every reload. Backends keep their
   * health by pool name and id; backends new to a running node start healthy with slow start
   * (backends present at the first call do not ramp: at boot there is no load to protect them
   * from); removed backends lose their state and their checks stop. Throws HealthConfigError when a
   * pool's expected_status cannot be used.
   */
  setPools(inputs: readonly HealthPoolInput[]): void {
    const now = this.now();
    const isBoot = !this.hasPools;
    this.hasPools = true;
    // Parse everything first, so a bad pool changes nothing.
    const expected = inputs.map((input) => parseStatusRange(input.config.health.expected_status));

    const pools = new Map<string, PoolHealth>();
    const liveKeys = new Set<string>();
    const targets: ProbeTarget[] = [];
    this.byState.clear();
    inputs.forEach((input, index) => {
      const name = input.members.name;
      let pool = this.pools.get(name);
      if (pool === undefined) pool = new PoolHealth(name, input.members, input.config, expected[index]);
      else {
        pool.members = input.members;
        pool.config = input.config;
        pool.expectedStatus = expected[index];
      }
      pools.set(name, pool);
      const records: BackendHealth[] = [];
      for (const state of input.members.backends) {
        let record = this.byKey.get(`${name}/${state.id}`);
        if (record === undefined) {
          record = new BackendHealth(pool, state);
          this.byKey.set(record.key, record);
          if (!isBoot && input.config.slow_start > 0) record.rampStartedAt = now;
        } else {
          record.pool = pool;
          record.state = state;
        }
        records.push(record);
        liveKeys.add(record.key);
        this.byState.set(state, record);
        const health = input.config.health;
        if (health.path === undefined) {
          // Checks turned off for this pool: their last verdict no longer means anything.
          record.isActiveUp = true;
        } else {
          targets.push({
            key: record.key,
            url: state.url,
            path: health.path,
            host: health.host,
            intervalMs: health.interval,
            timeoutMs: health.timeout,
            rise: health.rise,
            fall: health.fall,
            expectedStatus: pool.expectedStatus,
          });
        }
      }
      pool.records = records;
    });
    for (const key of this.byKey.keys()) if (!liveKeys.has(key)) this.byKey.delete(key);
    this.pools = pools;
    this.checker.setTargets(targets);
    for (const pool of pools.values()) this.refreshPool(pool, now, true);
  }

  /** Starts active checks and the tick. Timers are unref'd. */
  start(): void {
    if (this.timer !== undefined) return;
    this.checker.start();
    this.timer = setInterval(() => this.tick(), this.tickMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.checker.stop();
  }

  /**
   * Moves time-based state forward: ends due ejections, forgets old ones, advances slow-start ramps,
   * and rewrites effective weights and panic mode. start() runs it every second.
   */
  tick(): void {
    const now = this.now();
    for (const pool of this.pools.values()) {
      for (const record of pool.records) {
        if (expireEjection(record, now)) {
          record.isFallCounted = false;
          this.emit(pool.name, record.id, 'returned', 'ejection time over', now);
        }
        decayEjections(record, now);
      }
      this.refreshPool(pool, now, false);
    }
  }

  /**
   * Applies a failure streak reported by a worker's PassiveTracker (cluster mode): the same
   * ejection rules the single-process observer applies. Unknown pools or backends (a reload in
   * between) are ignored.
   */
  reportFailureStreak(poolName: string, backendId: string): void {
    const record = this.byKey.get(`${poolName}/${backendId}`);
    if (record !== undefined && record.pool === this.pools.get(poolName)) this.applyStreak(record);
  }

  /** The health of every pool as plain data, for the primary to send to its workers. */
  exportHealth(): HealthSnapshot {
    const members: PoolMembers[] = [];
    for (const pool of this.pools.values()) members.push(pool.members);
    return snapshotHealth(members, this.now());
  }

  private applyCheck(key: string, isUp: boolean, reason: string): void {
    const record = this.byKey.get(key);
    if (record === undefined) return;
    record.isActiveUp = isUp;
    if (!isUp) countActiveFall(record);
    const now = this.now();
    this.emit(record.pool.name, record.id, isUp ? 'up' : 'down', reason, now);
    this.refreshPool(record.pool, now, false);
  }

  private applyStreak(record: BackendHealth): void {
    const now = this.now();
    const { consecutive_failures: failures } = record.pool.config.outlier;
    const durationMs = tryEject(record, now);
    if (durationMs === 0) return;
    if (record.isActiveUp) {
      record.state.healthDowns++;
      record.isFallCounted = true;
    }
    this.emit(record.pool.name, record.id, 'ejected', `${failures} failures in a row; out for ${durationMs}ms (ejection ${record.ejectionCount})`, now);
    this.refreshPool(record.pool, now, false);
  }

  /**
   * Rewrites the health fields of a pool's backends and its panic flag, starting slow start for
   * backends that just became healthy; touches the pool when anything changed (or when `force`).
   */
  private refreshPool(pool: PoolHealth, now: number, force: boolean): void {
    const slowStartMs = pool.config.slow_start;
    let isChanged = force;
    for (const record of pool.records) {
      const state = record.state;
      const isHealthy = record.isHealthy;
      if (isHealthy && !record.wasHealthy && slowStartMs > 0) record.rampStartedAt = now;
      record.wasHealthy = isHealthy;
      let factor = 1;
      if (record.rampStartedAt !== NOT_RAMPING) {
        factor = slowStartFactor(now, record.rampStartedAt, slowStartMs);
        if (factor >= 1) record.rampStartedAt = NOT_RAMPING;
      }
      const effectiveWeight = isHealthy && !state.isDraining ? state.weight * factor : 0;
      if (state.isHealthy !== isHealthy || state.effectiveWeight !== effectiveWeight) {
        state.isHealthy = isHealthy;
        state.effectiveWeight = effectiveWeight;
        isChanged = true;
      }
    }
    const members = pool.members;
    const isPanicking = shouldPanic(members, pool.config.panic_threshold);
    if (members.isPanicking !== isPanicking) {
      members.isPanicking = isPanicking;
      isChanged = true;
      const reason = isPanicking
        ? `less than ${pool.config.panic_threshold * 100}% of the pool's weight is healthy; sending traffic to every backend`
        : `at least ${pool.config.panic_threshold * 100}% of the pool's weight is healthy again`;
      this.emit(pool.name, WHOLE_POOL, isPanicking ? 'panic' : 'panic_over', reason, now);
    }
    if (isChanged) members.touch();
  }

  private emit(pool: string, backend: string, kind: HealthEventKind, reason: string, at: number): void {
    this.onChange?.({ pool, backend, kind, reason, at });
  }
}

/**
 * Counts the backend's fall when active checks declare it down (BackendState.healthDowns, read by the
 * monitor's flapping rule), except the first one during an ejection that was itself counted: a crash
 * usually trips passive ejection first and the checks a few seconds later, and is one fall. Further
 * downs during that ejection are new falls: a backend crashing and restarting while ejected.
 */
function countActiveFall(record: BackendHealth): void {
  if (record.ejectedUntil > 0 && record.isFallCounted) {
    record.isFallCounted = false;
    return;
  }
  record.state.healthDowns++;
}
