import { isPickable, selectableWeight, type BackendState, type PoolMembers } from './backend.js';
import type { PickOutcome, PickRequest, Picker } from './picker.js';

// Power of two random choices (Mitzenmacher, "The Power of Two Choices in Randomized Load Balancing",
// IEEE TPDS 2001; Envoy's and Finagle's least-request balancers): draw two distinct backends at random
// and send the request to the one with the lower (inflight + 1) / weight, the load it would have after
// taking the request. Comparing two instead of all keeps the cost constant and avoids the herd
// behaviour of strict least-loaded when many balancers share the same backends.
// The draws are weighted, not uniform: with uniform draws a backend can win at most the share of
// pairs it appears in (2/n), so a backend weighted above 2/n of the pool could never reach its share.
// The cumulative weights of the candidates (backends with a selectable weight) are rebuilt only when
// members.version changes; a drawn backend that is full or excluded is replaced by the next one.

/** Two random candidates, the less loaded per unit of weight wins. */
export class PowerOfTwoChoicesPicker implements Picker {
  private readonly members: PoolMembers;
  private readonly random: () => number;
  private builtVersion = -1;
  private builtBackends: BackendState[] | undefined;
  private candidates = new Int32Array(0);
  private cumulativeWeights = new Float64Array(0);
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
    const firstDraw = this.drawPosition();
    const first = this.nextPickable(firstDraw, -1, exclude);
    if (first < 0) return undefined;
    if (count === 1) return members.backends[first];
    // A few redraws to find a different second candidate (a heavy backend is often drawn twice).
    let secondDraw = this.drawPosition();
    for (let attempt = 0; attempt < 3 && this.candidates[secondDraw] === first; attempt++) secondDraw = this.drawPosition();
    const second = this.nextPickable(secondDraw, first, exclude);
    const a = members.backends[first];
    if (second < 0) return a;
    const b = members.backends[second];
    // (a.inflight + 1) / wa <= (b.inflight + 1) / wb, cross-multiplied.
    return (a.inflight + 1) * selectableWeight(members, b) <= (b.inflight + 1) * selectableWeight(members, a) ? a : b;
  }

  /** A candidate position drawn with probability proportional to its weight. */
  private drawPosition(): number {
    const cumulative = this.cumulativeWeights;
    const target = this.random() * cumulative[this.candidateCount - 1];
    let low = 0;
    let high = this.candidateCount - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (cumulative[middle] > target) high = middle;
      else low = middle + 1;
    }
    return low;
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
    if (this.candidates.length < backends.length) {
      this.candidates = new Int32Array(backends.length);
      this.cumulativeWeights = new Float64Array(backends.length);
    }
    let count = 0;
    let total = 0;
    for (let i = 0; i < backends.length; i++) {
      const weight = selectableWeight(members, backends[i]);
      if (weight <= 0) continue;
      total += weight;
      this.candidates[count] = i;
      this.cumulativeWeights[count] = total;
      count++;
    }
    this.candidateCount = count;
    this.builtVersion = members.version;
    this.builtBackends = backends;
  }
}
