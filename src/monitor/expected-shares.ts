import { selectableWeight, type PoolMembers } from '../balance/index.js';

// What each backend *should* get: its effective weight over the sum of effective weights of the
// healthy, non-draining backends of its pool. The weight is balance's selectableWeight, the one the
// picker uses right now (configured × slow-start ramp, 0 when unhealthy or draining, the configured
// weight in panic mode), so the expectation is exactly what the balancer aims for.

/** Expected share (0..1) by backend id; every member is listed, 0 when it should get nothing. */
export function expectedSharesOf(members: PoolMembers): Map<string, number> {
  const weights = new Map<string, number>();
  let total = 0;
  for (const backend of members.backends) {
    const weight = Math.max(0, selectableWeight(members, backend));
    weights.set(backend.id, weight);
    total += weight;
  }
  for (const [id, weight] of weights) weights.set(id, total > 0 ? weight / total : 0);
  return weights;
}
