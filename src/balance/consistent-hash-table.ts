import { selectableWeight, type PoolMembers } from './backend.js';
import { HashRing } from './hash-ring.js';
import { MaglevTable } from './maglev.js';

/**
 * A lookup table mapping a 32-bit key hash to a slot, each slot owned by a backend. Walking forward
 * slot by slot from a key's first slot gives the key's preference order, which bounded loads use to
 * spill: the next slot on the ring (ring), the next entry of the lookup table (Maglev).
 */
export interface ConsistentHashTable {
  /** Number of slots (ring points or Maglev entries); 0 when no backend has weight. */
  readonly slotCount: number;
  /** Number of distinct backends owning at least one slot. */
  readonly memberCount: number;
  /** The key's first slot. */
  slotForKey(keyHash: number): number;
  /** Index in members.backends of the backend owning a slot. */
  memberAt(slot: number): number;
}

export type HashTableKind = 'maglev' | 'ring';

/** Builds a table over the backends with a selectable weight, each weighted by it. */
export function buildConsistentHashTable(kind: HashTableKind, members: PoolMembers): ConsistentHashTable {
  const ids: string[] = [];
  const memberIndexes: number[] = [];
  const weights: number[] = [];
  for (let i = 0; i < members.backends.length; i++) {
    const backend = members.backends[i];
    const weight = selectableWeight(members, backend);
    if (weight <= 0) continue;
    ids.push(backend.id);
    memberIndexes.push(i);
    weights.push(weight);
  }
  return kind === 'maglev' ? new MaglevTable(ids, memberIndexes, weights) : new HashRing(ids, memberIndexes, weights);
}
