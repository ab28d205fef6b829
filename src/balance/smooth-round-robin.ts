import { hasCapacity, selectableWeight, type BackendState, type PoolMembers } from './backend.js';
import type { PickOutcome, PickRequest, Picker } from './picker.js';

// Smooth weighted round robin, as in NGINX's ngx_http_upstream_round_robin.c
// (ngx_http_upstream_get_peer): every pick adds each candidate's weight to its current weight, takes
// the candidate with the largest current weight and subtracts the total from it. Weights 5,1,1 give
// a a b a c a a: the heavy backend's turns are spread out instead of bunched, and the shares are exact
// over every cycle of sum(weights) picks. Weights are read live, so nothing is rebuilt on a version
// change; a backend that is skipped (full, excluded, weight 0) takes no part in the round, as in NGINX.

/** Round robin in proportion to selectable weight, interleaved smoothly. */
export class SmoothRoundRobinPicker implements Picker {
  private readonly members: PoolMembers;
  private currentWeights = new Float64Array(0);

  constructor(members: PoolMembers) {
    this.members = members;
  }

  pick(_request: PickRequest, _outcome: PickOutcome, exclude: BackendState | undefined): BackendState | undefined {
    const members = this.members;
    const backends = members.backends;
    if (this.currentWeights.length !== backends.length) this.currentWeights = new Float64Array(backends.length);
    const current = this.currentWeights;
    let total = 0;
    let best = -1;
    for (let i = 0; i < backends.length; i++) {
      const backend = backends[i];
      if (backend === exclude || !hasCapacity(backend)) continue;
      const weight = selectableWeight(members, backend);
      if (weight <= 0) continue;
      current[i] += weight;
      total += weight;
      if (best < 0 || current[i] > current[best]) best = i;
    }
    if (best < 0) return undefined;
    current[best] -= total;
    return backends[best];
  }
}
