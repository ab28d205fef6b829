import type { BackendState } from '../balance/index.js';
import type { OutlierConfig } from '../config/index.js';
import type { BackendHealth } from './backend-health.js';
import type { OutcomeObserver } from './outcome-observer.js';

// Passive outlier detection after Envoy's consecutive-5xx detector (outlier_detection.cc): N failed
// outcomes in a row eject a backend for base × 2^(k-1), k being its ejection count, up to
// max_ejection; no more than max_ejected_share of a pool is out at once, so a bad deploy that makes
// every backend fail cannot empty the pool through ejection alone (panic mode covers the rest).
//
// k decays: Envoy lowers its multiplier while a host stays healthy; we reset k to 0 once the
// backend has stayed in for max_ejection since its last return, so a backend that failed once last
// week starts again from the base time, while one that flaps keeps doubling.

/** Float slack for share × count comparisons (0.3 × 10 is 3.0000000000000004). */
const SHARE_EPSILON = 1e-9;

/** How long ejection number `k` (1-based) lasts: base × 2^(k-1), at most max_ejection. */
export function ejectionDurationMs(outlier: OutlierConfig, k: number): number {
  // Clamp the exponent: 2^30 × any base is already far past any sane max_ejection.
  const doubled = outlier.base_ejection * 2 ** Math.min(Math.max(k - 1, 0), 30);
  return Math.min(doubled, outlier.max_ejection);
}

/**
 * Counts outcomes per backend and reports a streak of `consecutive_failures` failures. This is the
 * single-process observer; in cluster mode workers use PassiveTracker and the primary applies
 * streaks through HealthCoordinator.reportFailureStreak.
 */
export class OutlierDetector implements OutcomeObserver {
  private readonly records: ReadonlyMap<BackendState, BackendHealth>;
  private readonly onStreak: (record: BackendHealth) => void;

  /** `records` is the coordinator's live index; `onStreak` applies the ejection rules. */
  constructor(records: ReadonlyMap<BackendState, BackendHealth>, onStreak: (record: BackendHealth) => void) {
    this.records = records;
    this.onStreak = onStreak;
  }

  /** Hot path: one map lookup and a counter, no allocation. */
  recordOutcome(backend: BackendState, isFailure: boolean): void {
    const record = this.records.get(backend);
    // A backend removed by a reload can still finish requests on the old snapshot: ignore them.
    if (record === undefined) return;
    if (!isFailure) {
      record.passiveFailures = 0;
      return;
    }
    const threshold = record.pool.config.outlier.consecutive_failures;
    if (threshold === 0 || ++record.passiveFailures < threshold) return;
    record.passiveFailures = 0;
    this.onStreak(record);
  }
}

/**
 * Applies the ejection rules to a backend that reached its failure streak. Returns the ejection's
 * length in ms, or 0 when it stays in: ejection is off, it is already ejected, or ejecting it would
 * pass max_ejected_share (the backend that would cross the cap is the one that stays).
 */
export function tryEject(record: BackendHealth, nowMs: number): number {
  const outlier = record.pool.config.outlier;
  if (outlier.consecutive_failures === 0 || record.ejectedUntil > 0) return 0;
  const pool = record.pool;
  if (pool.ejectedCount() + 1 > outlier.max_ejected_share * pool.records.length + SHARE_EPSILON) return 0;
  record.ejectionCount++;
  const durationMs = ejectionDurationMs(outlier, record.ejectionCount);
  // Never 0: a 0 here would read as "not ejected".
  record.ejectedUntil = Math.max(nowMs + durationMs, 1);
  return durationMs;
}

/** Ends the ejection when its time has come; true when the backend returned. */
export function expireEjection(record: BackendHealth, nowMs: number): boolean {
  if (record.ejectedUntil === 0 || nowMs < record.ejectedUntil) return false;
  record.ejectedUntil = 0;
  record.returnedAt = nowMs;
  // Failures counted before the ejection describe the backend before its break.
  record.passiveFailures = 0;
  return true;
}

/** Forgets past ejections once the backend has stayed in for max_ejection since its return. */
export function decayEjections(record: BackendHealth, nowMs: number): void {
  if (record.ejectionCount === 0 || record.ejectedUntil > 0) return;
  if (nowMs - record.returnedAt >= record.pool.config.outlier.max_ejection) record.ejectionCount = 0;
}
