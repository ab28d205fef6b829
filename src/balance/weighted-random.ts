import { isPickable, selectableWeight, type BackendState, type PoolMembers } from './backend.js';
import type { PickOutcome, PickRequest, Picker } from './picker.js';

// Weighted random selection by inverse transform sampling: a uniform draw in [0, W) located by binary
// search in the cumulative weights (rebuilt only when members.version changes). Stateless between
// picks, so many balancers in front of the same backends need no coordination. When the drawn backend
// is full or excluded, the draw is repeated over the pickable backends only, so their shares stay
// proportional to weight.

/** Each pick independent, with probability proportional to selectable weight. */
export class WeightedRandomPicker implements Picker {
  private readonly members: PoolMembers;
  private readonly random: () => number;
  private builtVersion = -1;
  private builtBackends: BackendState[] | undefined;
  private cumulativeWeights = new Float64Array(0);
  private totalWeight = 0;

  constructor(members: PoolMembers, random: () => number) {
    this.members = members;
    this.random = random;
  }

  pick(_request: PickRequest, _outcome: PickOutcome, exclude: BackendState | undefined): BackendState | undefined {
    const members = this.members;
    if (members.version !== this.builtVersion || members.backends !== this.builtBackends) this.rebuild();
    const backends = members.backends;
    if (this.totalWeight > 0) {
      const target = this.random() * this.totalWeight;
      const cumulative = this.cumulativeWeights;
      let low = 0;
      let high = backends.length - 1;
      while (low < high) {
        const middle = (low + high) >>> 1;
        if (cumulative[middle] > target) high = middle;
        else low = middle + 1;
      }
      if (isPickable(members, backends[low], exclude)) return backends[low];
    }
    return this.pickAmongPickable(exclude);
  }

  /** The slow path: a fresh weighted draw over the backends pickable right now. */
  private pickAmongPickable(exclude: BackendState | undefined): BackendState | undefined {
    const members = this.members;
    const backends = members.backends;
    let total = 0;
    for (let i = 0; i < backends.length; i++) {
      if (isPickable(members, backends[i], exclude)) total += selectableWeight(members, backends[i]);
    }
    if (total <= 0) return undefined;
    let target = this.random() * total;
    let last: BackendState | undefined;
    for (let i = 0; i < backends.length; i++) {
      const backend = backends[i];
      if (!isPickable(members, backend, exclude)) continue;
      last = backend;
      target -= selectableWeight(members, backend);
      if (target < 0) return backend;
    }
    return last;
  }

  private rebuild(): void {
    const members = this.members;
    const backends = members.backends;
    if (this.cumulativeWeights.length !== backends.length) this.cumulativeWeights = new Float64Array(backends.length);
    let total = 0;
    for (let i = 0; i < backends.length; i++) {
      total += selectableWeight(members, backends[i]);
      this.cumulativeWeights[i] = total;
    }
    this.totalWeight = total;
    this.builtVersion = members.version;
    this.builtBackends = backends;
  }
}
