import type { PoolMembers } from '../balance/index.js';

// Cluster mode: the primary holds the authoritative health and sends it to every worker as a whole
// snapshot (Envoy's rule: the data plane receives whole states, never edits). Plain JSON so that it
// crosses the IPC channel as is.

export interface BackendHealthSnapshot {
  isHealthy: boolean;
  /** configured weight × slow-start ramp × health × not draining. */
  effectiveWeight: number;
}

export interface PoolHealthSnapshot {
  isPanicking: boolean;
  backends: Record<string, BackendHealthSnapshot>;
}

/** The health of every pool, keyed by pool name then backend id. */
export interface HealthSnapshot {
  /** Milliseconds since the epoch when it was taken. */
  at: number;
  pools: Record<string, PoolHealthSnapshot>;
}

/** Reads the health fields of every pool into a snapshot. */
export function snapshotHealth(pools: Iterable<PoolMembers>, atMs: number): HealthSnapshot {
  const snapshot: HealthSnapshot = { at: atMs, pools: {} };
  for (const members of pools) {
    const backends: Record<string, BackendHealthSnapshot> = {};
    for (const backend of members.backends) backends[backend.id] = { isHealthy: backend.isHealthy, effectiveWeight: backend.effectiveWeight };
    snapshot.pools[members.name] = { isPanicking: members.isPanicking, backends };
  }
  return snapshot;
}

/**
 * Writes a snapshot onto a worker's pools and touches each pool that changed (so pickers rebuild
 * only then). Pools and backends the snapshot does not know yet (a reload that reached the worker
 * first) keep their fields until the next snapshot, which the primary sends at least every tick.
 */
export function applyHealth(snapshot: HealthSnapshot, pools: Iterable<PoolMembers>): void {
  for (const members of pools) {
    if (!Object.hasOwn(snapshot.pools, members.name)) continue;
    const pool = snapshot.pools[members.name];
    let isChanged = false;
    if (members.isPanicking !== pool.isPanicking) {
      members.isPanicking = pool.isPanicking;
      isChanged = true;
    }
    for (const backend of members.backends) {
      if (!Object.hasOwn(pool.backends, backend.id)) continue;
      const health = pool.backends[backend.id];
      if (backend.isHealthy !== health.isHealthy || backend.effectiveWeight !== health.effectiveWeight) {
        backend.isHealthy = health.isHealthy;
        backend.effectiveWeight = health.effectiveWeight;
        isChanged = true;
      }
    }
    if (isChanged) members.touch();
  }
}
