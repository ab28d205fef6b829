import { type BackendState, type PoolMembers } from './backend.js';
import { BoundedWalk, totalSelectableWeight } from './bounded-load.js';
import { buildConsistentHashTable, type ConsistentHashTable, type HashTableKind } from './consistent-hash-table.js';
import type { PickOutcome, PickRequest, Picker } from './picker.js';
import { NO_KEY, type RequestKey } from './request-key.js';

// `algorithm: hash`: the same key goes to the same backend, on every node of a fleet, without shared
// state; a Maglev table or a ring (see maglev.ts, hash-ring.ts) maps the key, and bounded loads
// (bounded-load.ts) move a key off a backend that already holds more than its share of in-flight
// requests, so one hot key cannot overload one backend. The table is rebuilt lazily, on the first pick
// after members.version changes.
//
// A request without the key (no such header or cookie) starts the walk at a random slot, which
// spreads keyless requests by weight and still honours the bound. HAProxy falls back to round robin in
// that case; a random slot gives the same shares with no extra state.

export interface HashPickerOptions {
  table: HashTableKind;
  key: RequestKey;
  /** The bound factor c; Infinity turns bounded loads off (benchmarks only: the config requires c ≤ 10). */
  boundFactor: number;
  random: () => number;
}

/** Consistent hashing (Maglev or ring) of a request key, with bounded loads. */
export class HashPicker implements Picker {
  private readonly members: PoolMembers;
  private readonly options: HashPickerOptions;
  private readonly walk = new BoundedWalk();
  private builtVersion = -1;
  private builtBackends: BackendState[] | undefined;
  private table: ConsistentHashTable | undefined;
  private totalWeight = 0;
  /** Keyless requests must not count as spilled: they had no preferred backend. */
  private readonly keylessOutcome: PickOutcome = { isPinned: false, isSpilled: false, setCookie: undefined };

  constructor(members: PoolMembers, options: HashPickerOptions) {
    this.members = members;
    this.options = options;
  }

  pick(request: PickRequest, outcome: PickOutcome, exclude: BackendState | undefined): BackendState | undefined {
    const members = this.members;
    if (members.version !== this.builtVersion || members.backends !== this.builtBackends) this.rebuild();
    const table = this.table as ConsistentHashTable;
    if (table.slotCount === 0) return undefined;
    const keyHash = this.options.key.hash(request, 0);
    if (keyHash === NO_KEY) {
      const slot = Math.floor(this.options.random() * table.slotCount);
      return this.walk.walk(table, slot, members, this.totalWeight, this.options.boundFactor, exclude, this.keylessOutcome);
    }
    return this.walk.walk(table, table.slotForKey(keyHash), members, this.totalWeight, this.options.boundFactor, exclude, outcome);
  }

  private rebuild(): void {
    this.table = buildConsistentHashTable(this.options.table, this.members);
    this.totalWeight = totalSelectableWeight(this.members);
    this.builtVersion = this.members.version;
    this.builtBackends = this.members.backends;
  }
}
