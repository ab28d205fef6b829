import { isPickable, type BackendState, type PoolMembers } from './backend.js';
import { BoundedWalk, isWithinBound, pickFreshWithinBound, totalSelectableWeight } from './bounded-load.js';
import { buildConsistentHashTable, type ConsistentHashTable, type HashTableKind } from './consistent-hash-table.js';
import type { PickOutcome, PickRequest, Picker } from './picker.js';
import { headerValue } from './request-key.js';
import { StickTable } from './stick-table.js';
import { hashString } from './string-hash.js';

// Header and source-IP persistence (`persistence.by: header | source_ip`): a stick table
// (stick-table.ts) remembers which backend each key was sent to. A key the table does not know is
// placed by consistent hashing with bounded loads (bounded-load.ts), so independent nodes of a fleet,
// each with its own table, agree on where a new key goes as long as loads allow. A known key is
// honoured while its backend is selectable, has capacity, is not excluded by a retry and is within the
// load bound; otherwise it spills to the next backend in the key's hash order that is, and the table
// is updated. A request without the key (no such header) is a fresh client for the pool's algorithm.

/** HAProxy's usual stick-table size; about 100 bytes per entry. */
export const STICK_TABLE_CAPACITY = 100_000;

/**
 * A reload builds a new picker but keeps the pool's PoolMembers (see proxy/snapshot.ts), so the stick
 * table is kept with the members: sessions survive a config change as in-flight counts do. It is
 * reused only while the key stays the same (same `by` and header name).
 */
const stickTablesByMembers = new WeakMap<PoolMembers, { keyDescription: string; table: StickTable }>();

function stickTableFor(members: PoolMembers, options: TablePersistenceOptions): StickTable {
  const keyDescription = options.by === 'header' ? `header:${options.headerName.toLowerCase()}` : 'source_ip';
  const existing = stickTablesByMembers.get(members);
  if (existing !== undefined && existing.keyDescription === keyDescription && existing.table.capacity === options.capacity) {
    existing.table.ttlMs = options.ttlMs;
    return existing.table;
  }
  const table = new StickTable(options.capacity, options.ttlMs);
  stickTablesByMembers.set(members, { keyDescription, table });
  return table;
}

export interface TablePersistenceOptions {
  by: 'header' | 'source_ip';
  /** Header name when by is header. */
  headerName: string;
  table: HashTableKind;
  ttlMs: number;
  boundFactor: number;
  capacity: number;
  now: () => number;
}

/** Wraps the pool's picker with stick-table session persistence keyed by a header or the source address. */
export class TablePersistencePicker implements Picker {
  private readonly members: PoolMembers;
  private readonly base: Picker;
  private readonly options: TablePersistenceOptions;
  private readonly headerName: string;
  readonly stickTable: StickTable;
  private readonly walk = new BoundedWalk();
  private builtVersion = -1;
  private builtBackends: BackendState[] | undefined;
  private table: ConsistentHashTable | undefined;
  private totalWeight = 0;

  constructor(members: PoolMembers, base: Picker, options: TablePersistenceOptions) {
    this.members = members;
    this.base = base;
    this.options = options;
    this.headerName = options.headerName.toLowerCase();
    this.stickTable = stickTableFor(members, options);
  }

  pick(request: PickRequest, outcome: PickOutcome, exclude: BackendState | undefined): BackendState | undefined {
    const members = this.members;
    if (members.version !== this.builtVersion || members.backends !== this.builtBackends) this.rebuild();
    const key = this.options.by === 'source_ip' ? request.sourceIp : headerValue(request.headers, this.headerName);
    if (key === undefined || key.length === 0) {
      return pickFreshWithinBound(this.base, request, outcome, exclude, members, this.totalWeight, this.options.boundFactor);
    }
    const nowMs = this.options.now();
    const entry = this.stickTable.lookup(key, nowMs);
    // A backend removed by a reload keeps its old index; it is a member only if it is still there.
    // An entry for a removed backend is treated like no entry, as a cookie naming one is.
    if (entry !== undefined && members.backends[entry.backend.index] === entry.backend) {
      const pinned = entry.backend;
      if (isPickable(members, pinned, exclude) && isWithinBound(members, pinned, this.totalWeight, this.options.boundFactor)) {
        outcome.isPinned = true;
        this.stickTable.renew(key, entry, nowMs);
        return pinned;
      }
      outcome.isSpilled = true;
    }
    const table = this.table as ConsistentHashTable;
    if (table.slotCount === 0) return undefined;
    const chosen = this.walk.walk(table, table.slotForKey(hashString(key)), members, this.totalWeight, this.options.boundFactor, exclude, outcome);
    if (chosen !== undefined) this.stickTable.assign(key, chosen, nowMs);
    return chosen;
  }

  private rebuild(): void {
    this.table = buildConsistentHashTable(this.options.table, this.members);
    this.totalWeight = totalSelectableWeight(this.members);
    this.builtVersion = this.members.version;
    this.builtBackends = this.members.backends;
  }
}
