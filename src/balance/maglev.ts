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

/** Prime table sizes (the paper's 65537 is the largest); a pool uses the smallest with ≥ 1000 slots per backend. */
const TABLE_SIZES = [1021, 2039, 4093, 8191, 16381, 32749, 65537];
const SLOTS_PER_BACKEND = 1000;
const OFFSET_SEED = 0x9e3779b9;
const SKIP_SEED = 0x7f4a7c15;

/** The Maglev table size for a pool of `backendCount` weighted backends. */
export function maglevTableSize(backendCount: number): number {
  for (const size of TABLE_SIZES) {
    if (size >= backendCount * SLOTS_PER_BACKEND) return size;
  }
  return TABLE_SIZES[TABLE_SIZES.length - 1];
}

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
    const size = maglevTableSize(count);
    this.slotCount = size;
    const entries = new Int32Array(size).fill(-1);
    const offsets = new Float64Array(count);
    const skips = new Float64Array(count);
    const nexts = new Float64Array(count);
    const credits = new Float64Array(count);
    let maxWeight = 0;
    for (let i = 0; i < count; i++) {
      offsets[i] = hashString(ids[i], OFFSET_SEED) % size;
      skips[i] = (hashString(ids[i], SKIP_SEED) % (size - 1)) + 1;
      if (weights[i] > maxWeight) maxWeight = weights[i];
    }
    let filled = 0;
    while (filled < size) {
      for (let i = 0; i < count && filled < size; i++) {
        credits[i] += weights[i];
        if (credits[i] < maxWeight) continue;
        credits[i] -= maxWeight;
        let slot = (offsets[i] + nexts[i] * skips[i]) % size;
        while (entries[slot] >= 0) {
          nexts[i]++;
          slot = (offsets[i] + nexts[i] * skips[i]) % size;
        }
        entries[slot] = memberIndexes[i];
        nexts[i]++;
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
