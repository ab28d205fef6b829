import { isPickable, selectableWeight, type BackendState, type PoolMembers } from './backend.js';
import type { PickOutcome, PickRequest, Picker } from './picker.js';

// Weighted least in-flight (HAProxy's `leastconn`, NGINX's `least_conn`): the backend with the fewest
// requests in flight per unit of weight wins. Ties are common (an idle pool ties at 0) and are broken by
// smooth weighted round robin among the tied backends, as NGINX's least_conn does, so an idle or lightly
// loaded pool still spreads in proportion to weight instead of always picking the first backend.
// Ratios are compared by cross-multiplying (a.inflight × b.weight < b.inflight × a.weight): no division.

/** Fewest in-flight requests per unit of weight; ties go round robin by weight. */
export class LeastInflightPicker implements Picker {
  private readonly members: PoolMembers;
  private currentWeights = new Float64Array(0);

  constructor(members: PoolMembers) {
    this.members = members;
  }

  pick(_request: PickRequest, _outcome: PickOutcome, exclude: BackendState | undefined): BackendState | undefined {
    const members = this.members;
    const backends = members.backends;
    if (this.currentWeights.length !== backends.length) this.currentWeights = new Float64Array(backends.length);

    // Pass 1: the lowest inflight/weight among pickable backends.
    let leastInflight = 0;
    let leastWeight = 0;
    for (let i = 0; i < backends.length; i++) {
      const backend = backends[i];
      if (!isPickable(members, backend, exclude)) continue;
      const weight = selectableWeight(members, backend);
      if (leastWeight === 0 || backend.inflight * leastWeight < leastInflight * weight) {
        leastInflight = backend.inflight;
        leastWeight = weight;
      }
    }
    if (leastWeight === 0) return undefined;

    // Pass 2: smooth weighted round robin among the backends tied at that ratio.
    const current = this.currentWeights;
    let total = 0;
    let best = -1;
    for (let i = 0; i < backends.length; i++) {
      const backend = backends[i];
      if (!isPickable(members, backend, exclude)) continue;
      const weight = selectableWeight(members, backend);
      if (backend.inflight * leastWeight !== leastInflight * weight) continue;
      current[i] += weight;
      total += weight;
      if (best < 0 || current[i] > current[best]) best = i;
    }
    current[best] -= total;
    return backends[best];
  }
}
