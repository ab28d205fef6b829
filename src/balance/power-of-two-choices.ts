import { isPickable, selectableWeight, type BackendState, type PoolMembers } from './backend.js';
import type { PickOutcome, PickRequest, Picker } from './picker.js';

// Power of two random choices (Mitzenmacher, "The Power of Two Choices in Randomized Load Balancing",
// IEEE TPDS 2001; Envoy's and Finagle's least-request balancers): draw two distinct backends uniformly
// at random and send the request to the one with the lower (inflight + 1) / weight. Comparing two
// instead of all keeps the cost constant and avoids the herd behaviour of strict least-loaded when
// many balancers share the same backends. The "+ 1" makes weight matter when both are idle.
// The candidate list (backends with a selectable weight) is rebuilt only when members.version changes;
// a drawn backend that is full or excluded is replaced by the next one in the list.

/** Two random candidates, the less loaded per unit of weight wins. */
export class PowerOfTwoChoicesPicker implements Picker {
  private readonly members: PoolMembers;
  private readonly random: () => number;
  private builtVersion = -1;
  private builtBackends: BackendState[] | undefined;
  private candidates = new Int32Array(0);
  private candidateCount = 0;

  constructor(members: PoolMembers, random: () => number) {
    this.members = members;
    this.random = random;
  }

  pick(_request: PickRequest, _outcome: PickOutcome, exclude: BackendState | undefined): BackendState | undefined {
    const members = this.members;
    if (members.version !== this.builtVersion || members.backends !== this.builtBackends) this.rebuild();
    const count = this.candidateCount;
    if (count === 0) return undefined;
    const firstDraw = Math.floor(this.random() * count);
    const first = this.nextPickable(firstDraw, -1, exclude);
    if (first < 0) return undefined;
    if (count === 1) return members.backends[first];
    // The second draw is uniform over the other count - 1 positions.
    let secondDraw = Math.floor(this.random() * (count - 1));
    if (secondDraw >= firstDraw) secondDraw++;
    const second = this.nextPickable(secondDraw, first, exclude);
    const a = members.backends[first];
    if (second < 0) return a;
    const b = members.backends[second];
    // (a.inflight + 1) / wa <= (b.inflight + 1) / wb, cross-multiplied.
    return (a.inflight + 1) * selectableWeight(members, b) <= (b.inflight + 1) * selectableWeight(members, a) ? a : b;
  }

  /** Member index of the first pickable candidate at or after `position` (wrapping), or -1. */
  private nextPickable(position: number, skipIndex: number, exclude: BackendState | undefined): number {
    const backends = this.members.backends;
    const count = this.candidateCount;
    for (let step = 0; step < count; step++) {
      let slot = position + step;
      if (slot >= count) slot -= count;
      const index = this.candidates[slot];
      if (index !== skipIndex && isPickable(this.members, backends[index], exclude)) return index;
    }
    return -1;
  }

  private rebuild(): void {
    const members = this.members;
    const backends = members.backends;
    if (this.candidates.length < backends.length) this.candidates = new Int32Array(backends.length);
    let count = 0;
    for (let i = 0; i < backends.length; i++) {
      if (selectableWeight(members, backends[i]) > 0) this.candidates[count++] = i;
    }
    this.candidateCount = count;
    this.builtVersion = members.version;
    this.builtBackends = backends;
  }
}
