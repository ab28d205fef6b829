import { hasCapacity, isPickable, selectableWeight, type BackendState, type PoolMembers } from './backend.js';
import type { ConsistentHashTable } from './consistent-hash-table.js';
import type { PickOutcome, PickRequest, Picker } from './picker.js';

// Consistent hashing with bounded loads (Mirrokni, Thorup, Zadimoghaddam, SODA 2018): a backend may
// take a request only if, after taking it, its in-flight count is at most ceil(c × (m + 1) × w / W),
// where m is the pool's in-flight total before the request, w the backend's selectable weight and W
// the sum of selectable weights. With equal weights this is the paper's ceil(c × (m + 1) / n).
// A key whose backend is over the bound moves to the next backend in the table's walk order.
//
// Why a backend under the bound always exists when every backend is a candidate: if each backend b had
// inflight_b + 1 > ceil(c(m+1)w_b/W), then inflight_b >= c(m+1)w_b/W, and summing gives m >= c(m+1),
// impossible for c > 1. Exclusions (retries) and max_inflight can still leave no candidate.

/**
 * Float error on c × (m + 1) × w / W may leave a product that is truly an integer a hair above it;
 * subtracting this keeps ceil() honest. It is far below any real gap between distinct products.
 */
const CEIL_TOLERANCE = 1e-9;

/** The most requests a backend may hold after taking one more: ceil(c × (m + 1) × w / W). */
export function loadBound(boundFactor: number, totalInflight: number, weight: number, totalWeight: number): number {
  return Math.ceil((boundFactor * (totalInflight + 1) * weight) / totalWeight - CEIL_TOLERANCE);
}

/** True when `backend` may take one more request under the bound. */
export function isWithinBound(members: PoolMembers, backend: BackendState, totalWeight: number, boundFactor: number): boolean {
  const weight = selectableWeight(members, backend);
  return weight > 0 && backend.inflight + 1 <= loadBound(boundFactor, members.totalInflight, weight, totalWeight);
}

/** Sum of selectable weights, the W of the bound; pickers cache it per members.version. */
export function totalSelectableWeight(members: PoolMembers): number {
  let total = 0;
  for (let i = 0; i < members.backends.length; i++) total += selectableWeight(members, members.backends[i]);
  return total;
}

/**
 * Walks a consistent hash table from a key's slot and returns the first distinct backend that is
 * pickable and within the bound. Sets outcome.isSpilled when that is not the key's first backend.
 * Visited backends are marked with a per-walk stamp in a typed array, so a walk allocates nothing.
 */
export class BoundedWalk {
  private visitStamps = new Uint32Array(0);
  private stamp = 0;

  walk(
    table: ConsistentHashTable,
    startSlot: number,
    members: PoolMembers,
    totalWeight: number,
    boundFactor: number,
    exclude: BackendState | undefined,
    outcome: PickOutcome,
  ): BackendState | undefined {
    const backends = members.backends;
    if (this.visitStamps.length < backends.length) this.visitStamps = new Uint32Array(backends.length);
    this.stamp++;
    if (this.stamp === 0xffffffff) {
      this.visitStamps.fill(0);
      this.stamp = 1;
    }
    const stamps = this.visitStamps;
    const stamp = this.stamp;
    const slotCount = table.slotCount;
    let slot = startSlot;
    let distinct = 0;
    for (let step = 0; step < slotCount; step++) {
      const index = table.memberAt(slot);
      slot = slot + 1 === slotCount ? 0 : slot + 1;
      if (stamps[index] === stamp) continue;
      stamps[index] = stamp;
      distinct++;
      const backend = backends[index];
      if (backend !== exclude && hasCapacity(backend) && isWithinBound(members, backend, totalWeight, boundFactor)) {
        if (distinct > 1) outcome.isSpilled = true;
        return backend;
      }
      if (distinct === table.memberCount) break;
    }
    return undefined;
  }
}

/**
 * A pick for a client that persistence does not know yet: the pool's own algorithm, unless its choice
 * is over the bound; then, among backends within the bound, the one with the lowest
 * (inflight + 1) / weight. One exists whenever no candidate is excluded or full (see above).
 */
export function pickFreshWithinBound(
  base: Picker,
  request: PickRequest,
  outcome: PickOutcome,
  exclude: BackendState | undefined,
  members: PoolMembers,
  totalWeight: number,
  boundFactor: number,
): BackendState | undefined {
  const chosen = base.pick(request, outcome, exclude);
  if (chosen === undefined || isWithinBound(members, chosen, totalWeight, boundFactor)) return chosen;
  const backends = members.backends;
  let best: BackendState | undefined;
  let bestWeight = 0;
  for (let i = 0; i < backends.length; i++) {
    const backend = backends[i];
    if (!isPickable(members, backend, exclude) || !isWithinBound(members, backend, totalWeight, boundFactor)) continue;
    const weight = selectableWeight(members, backend);
    if (best === undefined || (backend.inflight + 1) * bestWeight < (best.inflight + 1) * weight) {
      best = backend;
      bestWeight = weight;
    }
  }
  return best;
}
