import type { BackendState } from './backend.js';

// A bounded stick table, like HAProxy's `stick-table type string size 100k expire 30m`: key (header
// value or source address) to backend, each entry living `ttl` after its last use. A Map keeps
// insertion order, and an entry is moved to the end whenever its expiry is pushed back, so the Map's
// order is expiry order: expired entries are always at the head, and the entry evicted when the table
// is full is the one closest to expiry. Expiry is only pushed back once an entry is past half its TTL,
// so a busy key costs a Map lookup per request, not a delete and an insert.

export interface StickEntry {
  backend: BackendState;
  expiresAtMs: number;
}

/** How many expired entries one insert removes from the head, so cleaning never stalls a request. */
const EXPIRED_SWEEP_PER_INSERT = 8;

export class StickTable {
  readonly capacity: number;
  /** Writable: a reload that changes `persistence.ttl` keeps the table and applies to later uses. */
  ttlMs: number;
  private readonly entries = new Map<string, StickEntry>();

  constructor(capacity: number, ttlMs: number) {
    this.capacity = capacity;
    this.ttlMs = ttlMs;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The live entry for a key, or undefined (an expired entry is dropped). */
  lookup(key: string, nowMs: number): StickEntry | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAtMs <= nowMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Records a use of a live entry: a sliding TTL, renewed once past its half-life. */
  renew(key: string, entry: StickEntry, nowMs: number): void {
    if (entry.expiresAtMs - nowMs >= this.ttlMs / 2) return;
    this.entries.delete(key);
    entry.expiresAtMs = nowMs + this.ttlMs;
    this.entries.set(key, entry);
  }

  /** Sticks a key to a backend (a new client, or one that spilled) for a full TTL. */
  assign(key: string, backend: BackendState, nowMs: number): void {
    const existing = this.entries.get(key);
    if (existing !== undefined) {
      this.entries.delete(key);
      existing.backend = backend;
      existing.expiresAtMs = nowMs + this.ttlMs;
      this.entries.set(key, existing);
      return;
    }
    this.sweepExpired(nowMs);
    if (this.entries.size >= this.capacity) this.evictOldest();
    this.entries.set(key, { backend, expiresAtMs: nowMs + this.ttlMs });
  }

  private sweepExpired(nowMs: number): void {
    let removed = 0;
    for (const [key, entry] of this.entries) {
      if (entry.expiresAtMs > nowMs || removed === EXPIRED_SWEEP_PER_INSERT) return;
      this.entries.delete(key);
      removed++;
    }
  }

  private evictOldest(): void {
    const oldest = this.entries.keys().next();
    if (oldest.done !== true) this.entries.delete(oldest.value);
  }
}
