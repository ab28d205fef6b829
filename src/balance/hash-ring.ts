import type { ConsistentHashTable } from './consistent-hash-table.js';
import { hashString } from './string-hash.js';

// Consistent hashing on a ring (Karger et al., STOC 1997) with virtual nodes as in libketama and
// NGINX's `hash ... consistent`: each backend places points on a 32-bit circle, a key belongs to the
// first point at or after its hash. Points are proportional to weight, about 1000 per backend of
// average weight (the more points, the closer shares follow weights; 1000 gives about ±3 % relative).
// Removing one backend moves only its own keys, to the next points clockwise.
//
// Spill order for bounded loads: clockwise to the next point, as in the paper (Mirrokni et al.) and
// HAProxy's `hash-balance-factor`.

const POINTS_PER_AVERAGE_BACKEND = 1000;

export class HashRing implements ConsistentHashTable {
  readonly slotCount: number;
  readonly memberCount: number;
  /** Ring positions, ascending. */
  private readonly points: Uint32Array;
  /** Owner (members.backends index) of each point. */
  private readonly owners: Int32Array;

  /** ids, memberIndexes and weights are parallel arrays of the backends with weight > 0. */
  constructor(ids: readonly string[], memberIndexes: readonly number[], weights: readonly number[]) {
    const count = ids.length;
    this.memberCount = count;
    let totalWeight = 0;
    for (let i = 0; i < count; i++) totalWeight += weights[i];
    const pointCounts: number[] = [];
    let total = 0;
    for (let i = 0; i < count; i++) {
      // ketama's scaling: weight over the mean weight, so equal weights always give the same points
      // and removing a backend leaves the others' points where they were.
      const points = Math.max(1, Math.round((POINTS_PER_AVERAGE_BACKEND * count * weights[i]) / totalWeight));
      pointCounts.push(points);
      total += points;
    }
    const positions = new Uint32Array(total);
    const pointOwners = new Int32Array(total);
    let next = 0;
    for (let i = 0; i < count; i++) {
      for (let j = 0; j < pointCounts[i]; j++) {
        positions[next] = hashString(`${ids[i]}#${j}`);
        pointOwners[next] = memberIndexes[i];
        next++;
      }
    }
    // Sort points by position; equal positions (rare 32-bit collisions) by owner, so every node agrees.
    const order = Array.from({ length: total }, (_, i) => i);
    order.sort((a, b) => positions[a] - positions[b] || pointOwners[a] - pointOwners[b]);
    this.points = new Uint32Array(total);
    this.owners = new Int32Array(total);
    for (let i = 0; i < total; i++) {
      this.points[i] = positions[order[i]];
      this.owners[i] = pointOwners[order[i]];
    }
    this.slotCount = total;
  }

  slotForKey(keyHash: number): number {
    const points = this.points;
    let low = 0;
    let high = points.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (points[middle] < keyHash) low = middle + 1;
      else high = middle;
    }
    return low === points.length ? 0 : low;
  }

  memberAt(slot: number): number {
    return this.owners[slot];
  }
}
