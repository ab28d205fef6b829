import type { BackendState } from '../balance/index.js';
import type { Config } from '../config/index.js';
import type { OutcomeObserver } from './outcome-observer.js';

// Cluster mode splits passive detection: each worker only counts consecutive failures (this class)
// and tells the primary when a backend reaches `outlier.consecutive_failures`; the primary applies
// the ejection rules with the whole node in view (HealthCoordinator.reportFailureStreak), so
// max_ejected_share holds for the node and not per worker. A streak is counted within one worker:
// N workers see interleaved outcomes, and a backend failing every request still produces a streak
// in each of them.

/** Worker-side OutcomeObserver: counts failure streaks and reports them through `onStreak`. */
export class PassiveTracker implements OutcomeObserver {
  private readonly onStreak: (poolName: string, backendId: string) => void;
  private thresholds = new Map<string, number>();
  // Weak so that backends removed by reloads do not accumulate.
  private readonly streaks = new WeakMap<BackendState, number>();

  constructor(onStreak: (poolName: string, backendId: string) => void) {
    this.onStreak = onStreak;
  }

  /** Takes each pool's outlier.consecutive_failures from the config; call on start and on every swap. */
  setPools(config: Pick<Config, 'pools'>): void {
    const thresholds = new Map<string, number>();
    for (const [name, pool] of Object.entries(config.pools)) thresholds.set(name, pool.outlier.consecutive_failures);
    this.thresholds = thresholds;
  }

  /** Hot path: two map lookups, no allocation once a backend has been seen. */
  recordOutcome(backend: BackendState, isFailure: boolean): void {
    if (!isFailure) {
      if ((this.streaks.get(backend) ?? 0) !== 0) this.streaks.set(backend, 0);
      return;
    }
    const threshold = this.thresholds.get(backend.poolName) ?? 0;
    if (threshold === 0) return;
    const streak = (this.streaks.get(backend) ?? 0) + 1;
    if (streak < threshold) {
      this.streaks.set(backend, streak);
      return;
    }
    this.streaks.set(backend, 0);
    this.onStreak(backend.poolName, backend.id);
  }
}
