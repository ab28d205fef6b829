import type { BackendState, PoolMembers } from '../balance/index.js';
import type { PoolConfig } from '../config/index.js';
import type { StatusRange } from './status-range.js';

// The health bookkeeping of one backend, kept by the coordinator under "pool/id" so that it
// survives reloads. The BackendState it writes to may be replaced on a reload (`state` is then
// re-pointed); everything else carries over.

/** Marks "no ramp in progress" in BackendHealth.rampStartedAt. */
export const NOT_RAMPING = -1;

/** A pool as health/ sees it: its members, its config and the records of its backends. */
export class PoolHealth {
  readonly name: string;
  members: PoolMembers;
  config: PoolConfig;
  /** health.expected_status, parsed. */
  expectedStatus: StatusRange;
  /** In the order of members.backends. */
  records: BackendHealth[] = [];

  constructor(name: string, members: PoolMembers, config: PoolConfig, expectedStatus: StatusRange) {
    this.name = name;
    this.members = members;
    this.config = config;
    this.expectedStatus = expectedStatus;
  }

  /** Backends of this pool ejected right now. */
  ejectedCount(): number {
    let count = 0;
    for (let i = 0; i < this.records.length; i++) if (this.records[i].ejectedUntil > 0) count++;
    return count;
  }
}

export class BackendHealth {
  /** "pool/id": the identity that survives reloads. */
  readonly key: string;
  readonly id: string;
  pool: PoolHealth;
  state: BackendState;
  /** Verdict of active checks; true when the pool has none. */
  isActiveUp = true;
  /** Consecutive failed outcomes seen by passive detection since the last success. */
  passiveFailures = 0;
  /** Clock time the current ejection ends; 0 when not ejected. */
  ejectedUntil = 0;
  /** Ejections so far, k in base × 2^(k-1); reset after a quiet period (see OutlierDetector). */
  ejectionCount = 0;
  /** Clock time the last ejection ended (0: never ejected); starts the quiet period. */
  returnedAt = 0;
  /** Clock time the current slow-start ramp began, or NOT_RAMPING. */
  rampStartedAt = NOT_RAMPING;
  /**
   * The current ejection was counted as a fall (state.healthDowns) while active checks still passed,
   * so the checks' own "down" for the same outage is not counted again (coordinator.ts).
   */
  isFallCounted = false;
  /** The verdict last written to `state.isHealthy`, to see transitions. */
  wasHealthy = true;

  constructor(pool: PoolHealth, state: BackendState) {
    this.key = `${pool.name}/${state.id}`;
    this.id = state.id;
    this.pool = pool;
    this.state = state;
  }

  /** Combined verdict: active checks pass and no outlier ejection is in force. */
  get isHealthy(): boolean {
    return this.isActiveUp && this.ejectedUntil === 0;
  }
}
