import type { ConsistentHashTable } from './consistent-hash-table.js';
import { hashString } from './string-hash.js';

// Maglev hashing (Eisenbud et al., "Maglev: A Fast and Reliable Software Network Load Balancer",
// NSDI 2016, section 3.4, Pseudocode 1). Each backend has a permutation of the M table slots,
// (offset + j × skip) mod M with offset and skip derived from its id; backends take turns claiming their
// next unclaimed preferred slot until the table is full. With M prime every permutation visits every
// slot. Lookups are one modulo and one array read; removing one of N backends moves about 1/N of keys.
//
// Weights, as in Envoy's maglev_lb.cc: a backend takes a turn in a round only when its accumulated
// weight reaches the largest weight, so it claims slots in proportion to its weight.
//
// Spill order for bounded loads: the table entries after the key's slot (slot + 1, slot + 2, ...).
// Neighbouring entries belong to backends in a well-mixed order, so one hot backend's overflow
// spreads over the others instead of landing on a single neighbour.

/**
 * The table size M, the paper's 65537 (prime, so every skip generates a full permutation). It is fixed
 * rather than scaled to the pool: a different M reshuffles nearly every key, so a table that grew
 * when a backend was added would move every session. With 65537 entries slot counts follow weights
 * to a fraction of a percent for pools up to a few hundred backends (the paper asks for M ≫ 100 × N).
 * A build takes a few milliseconds and happens only on the first pick after members.version changes.
 */
export const MAGLEV_TABLE_SIZE = 65537;
const OFFSET_SEED = 0x9e3779b9;
const SKIP_SEED = 0x7f4a7c15;

export class MaglevTable implements ConsistentHashTable {
  readonly slotCount: number;
  readonly memberCount: number;
  private readonly entries: Int32Array;

  /** ids, memberIndexes and weights are parallel arrays of the backends with weight > 0. */
  constructor(ids: readonly string[], memberIndexes: readonly number[], weights: readonly number[]) {
    const count = ids.length;
    this.memberCount = count;
    if (count === 0) {
      this.slotCount = 0;
      this.entries = new Int32Array(0);
      return;
    }
    const size = MAGLEV_TABLE_SIZE;
    this.slotCount = size;
    const entries = new Int32Array(size).fill(-1);
    // positions[i] is backend i's next preferred slot, (offset + next × skip) mod M, advanced by
    // adding skip rather than recomputed, so the build is additions and comparisons only.
    const positions = new Int32Array(count);
    const skips = new Int32Array(count);
    const credits = new Float64Array(count);
    let maxWeight = 0;
    for (let i = 0; i < count; i++) {
      positions[i] = hashString(ids[i], OFFSET_SEED) % size;
      skips[i] = (hashString(ids[i], SKIP_SEED) % (size - 1)) + 1;
      if (weights[i] > maxWeight) maxWeight = weights[i];
    }
    let filled = 0;
    while (filled < size) {
      for (let i = 0; i < count && filled < size; i++) {
        credits[i] += weights[i];
        if (credits[i] < maxWeight) continue;
        credits[i] -= maxWeight;
        const skip = skips[i];
        let slot = positions[i];
        while (entries[slot] >= 0) {
          slot += skip;
          if (slot >= size) slot -= size;
        }
        entries[slot] = memberIndexes[i];
        slot += skip;
        positions[i] = slot >= size ? slot - size : slot;
        filled++;
      }
    }
    this.entries = entries;
  }

  slotForKey(keyHash: number): number {
    return keyHash % this.slotCount;
  }

  memberAt(slot: number): number {
    return this.entries[slot];
  }
}
