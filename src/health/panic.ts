import type { PoolMembers } from '../balance/index.js';

// Panic mode, as in Envoy's healthy panic threshold: when too little of a pool is healthy, sending
// all traffic to the survivors would overload them too, so the picker spreads it over every
// non-draining backend instead and accepts some failed requests. Envoy counts hosts; we count
// configured weight, because a pool of one big and four small backends that loses the big one has
// lost most of its capacity, not a fifth. Draining backends are left out of both sides: draining is
// an operator's decision, not a failure.

/**
 * The share of the pool's configured weight (draining backends left out) whose backends are
 * healthy; 1 when that weight is 0, so an empty or all-draining pool never panics.
 */
export function healthyWeightShare(members: PoolMembers): number {
  let total = 0;
  let healthy = 0;
  const backends = members.backends;
  for (let i = 0; i < backends.length; i++) {
    const backend = backends[i];
    if (backend.isDraining) continue;
    total += backend.weight;
    if (backend.isHealthy) healthy += backend.weight;
  }
  return total > 0 ? healthy / total : 1;
}

/** True when the pool should panic: its healthy share is below `threshold` (0 turns panic off). */
export function shouldPanic(members: PoolMembers, threshold: number): boolean {
  return threshold > 0 && healthyWeightShare(members) < threshold;
}
