import { DEFAULT_PERSISTENCE_COOKIE, type PoolConfig } from '../config/index.js';
import { TelemetryError } from './errors.js';

// The recent requests of each pool, kept so that a change request can be simulated before anyone
// approves it (control/simulation replays them through the proposed balancer). Per pool, a ring of
// the last REQUEST_SAMPLE_CAPACITY picks: when, which backend, how many requests were in flight in
// this process, whether persistence chose the backend, and a 32-bit hash of the key the pool's
// balancer looks at (the session cookie, header or source address; the hash key of `algorithm: hash`).
//
// Why a hash and not the key string itself: a reference to the request's string would cost nothing
// to store, but it keeps that string alive, and the Cookie header or a path can be kilobytes long
// (10,000 of them could pin 100+ MB), and every key would also travel to the cluster primary once a
// second. The replay needs the key only as an identity ("the same client again"), which the hash
// gives in 8 bytes (proxy/sample-key.ts computes it, cheaply, over the key's last characters). Recording writes into preallocated typed arrays and one array of backend-id
// references (strings the BackendState already holds): no allocation per request.
//
// Memory: 29 bytes a slot (time 8, key hash 8, in-flight 4, flags 1, backend id pointer 8), so a
// pool's ring of 10,000 is about 290 KB, once in every worker and once in the cluster primary.

/** Requests kept per pool (the most recent ones). */
export const REQUEST_SAMPLE_CAPACITY = 10_000;
/**
 * Most requests per pool one worker sends the primary in one telemetry delta (once a second). Above
 * that the worker sends every k-th request of the second, so the primary's ring keeps the traffic's
 * mix at a bounded IPC cost (about 35 KB of JSON per pool per second at the limit).
 */
export const SAMPLE_DELTA_LIMIT = 1_000;
/** keyHash of a request that had no key (no session cookie yet, no such header, or a keyless pool). */
export const NO_SAMPLE_KEY = -1;

const FLAG_PINNED = 1;
const FLAG_SPILLED = 2;

/** What a pool's balancer keys on, and so what the sample records of each request. */
export type SampleKeyKind = 'none' | 'cookie' | 'header' | 'source_ip' | 'path';

export interface SampleKeySpec {
  kind: SampleKeyKind;
  /** Cookie or header name (header names in lower case); "" for the others. */
  name: string;
  /**
   * True for persistence cookies: their values are shared by every client the same backend signed
   * in the same second (balance/session-cookie.ts), so the source address is hashed in too, to tell
   * such clients apart when they come from different addresses.
   */
  mixesSourceIp: boolean;
}

/**
 * The key a pool's config makes its balancer look at: the persistence key when persistence is on
 * (it decides first), else the hash key of `algorithm: hash`, else none.
 */
export function sampleKeySpecOf(pool: PoolConfig): SampleKeySpec {
  const persistence = pool.persistence;
  switch (persistence.by) {
    case 'cookie':
      return { kind: 'cookie', name: persistence.name ?? DEFAULT_PERSISTENCE_COOKIE, mixesSourceIp: true };
    case 'header':
      return { kind: 'header', name: (persistence.name ?? '').toLowerCase(), mixesSourceIp: false };
    case 'source_ip':
      return { kind: 'source_ip', name: '', mixesSourceIp: false };
    case 'none':
      break;
  }
  if (pool.algorithm !== 'hash') return { kind: 'none', name: '', mixesSourceIp: false };
  const by = pool.hash?.by ?? 'source_ip';
  const name = pool.hash?.name ?? '';
  return { kind: by, name: by === 'header' ? name.toLowerCase() : name, mixesSourceIp: false };
}

/** One sampled request, as read back for a simulation. */
export interface SampledRequest {
  atMs: number;
  /** Unsigned 32-bit hash of the key, or NO_SAMPLE_KEY. */
  keyHash: number;
  /** Id of the backend the live balancer chose. */
  backend: string;
  /** Requests in flight in the recording process right after the pick, this one included. */
  inflight: number;
  isPinned: boolean;
  isSpilled: boolean;
}

export interface SampledPool {
  pool: string;
  /** Oldest first. */
  requests: SampledRequest[];
}

/** A pool's new sampled requests in a telemetry delta, as columns (compact JSON). */
export interface PoolSampleDelta {
  readonly pool: string;
  readonly atMs: number[];
  readonly keyHashes: number[];
  readonly backends: string[];
  readonly inflight: number[];
  /** Bit 0: pinned, bit 1: spilled. */
  readonly flags: number[];
}

/** What PoolRequestRing.keyConcentration found. */
export interface KeyConcentration {
  readonly requests: number;
  readonly pinned: number;
  /** Requests of the busiest keys, largest first. */
  readonly topKeyRequests: readonly number[];
  /** Different keys seen. */
  readonly distinctKeys: number;
}

/**
 * One tally for every ring's keyConcentration (the monitor judges one pool at a time): an
 * open-addressing table of key -> requests in typed arrays, at most half full, with linear probing.
 * `slots` lists the slots in use. The keys are hashes of what clients send (cookies, headers), so a
 * client could craft many that share some bits: the slot is taken from the key mixed with a seed
 * chosen at start (Fibonacci hashing), and a tally that still probes too long falls back to sorting.
 */
interface KeyTally {
  readonly shift: number;
  readonly keys: Uint32Array;
  readonly counts: Uint32Array;
  readonly slots: Uint32Array;
  /** The sort fallback's copy of the keys. */
  readonly sorted: Uint32Array;
}
const TALLY_SEED = (Math.random() * 0x1_0000_0000) >>> 0;
/** Probes allowed per counted key on average before the tally gives up and sorts. */
const MAX_PROBES_PER_KEY = 8;
let tally: KeyTally = { shift: 32, keys: new Uint32Array(1), counts: new Uint32Array(1), slots: new Uint32Array(0), sorted: new Uint32Array(0) };
function keyTally(maxKeys: number): KeyTally {
  if (tally.slots.length < maxKeys) {
    let bits = 4;
    while (2 ** bits < 2 * maxKeys) bits++;
    const size = 2 ** bits;
    tally = { shift: 32 - bits, keys: new Uint32Array(size), counts: new Uint32Array(size), slots: new Uint32Array(maxKeys), sorted: new Uint32Array(maxKeys) };
  }
  return tally;
}

/**
 * Request counts of the `topKeys` busiest of keys[0, length), largest first, by sorting them in
 * place; their keys go to `topHashes` in the same order.
 */
function tallyBySort(keys: Uint32Array, length: number, topKeys: number, topHashes: number[]): { top: number[]; distinctKeys: number } {
  const sorted = keys.subarray(0, length).sort();
  const top: number[] = [];
  let distinctKeys = 0;
  let run = 0;
  for (let i = 0; i < length; i++) {
    run++;
    if (i + 1 < length && sorted[i + 1] === sorted[i]) continue;
    keepLargest(top, run, topKeys, topHashes, sorted[i]);
    distinctKeys++;
    run = 0;
  }
  return { top, distinctKeys };
}

/** Inserts `value` into `top` (largest first) when it is among the `k` largest; `key` goes to the same place in `keys`. */
function keepLargest(top: number[], value: number, k: number, keys: number[], key: number): void {
  if (k <= 0 || (top.length === k && value <= top[k - 1])) return;
  let at = top.length === k ? k - 1 : top.length;
  top[at] = value;
  keys[at] = key;
  while (at > 0 && top[at - 1] < top[at]) {
    top[at] = top[at - 1];
    keys[at] = keys[at - 1];
    top[at - 1] = value;
    keys[at - 1] = key;
    at--;
  }
}

/** The ring of one pool. */
export class PoolRequestRing {
  readonly pool: string;
  readonly capacity: number;
  private readonly atMs: Float64Array;
  private readonly keyHashes: Float64Array;
  private readonly inflight: Uint32Array;
  private readonly flags: Uint8Array;
  private readonly backends: string[];
  /** Requests ever recorded; the next slot is written % capacity. */
  private written = 0;
  /** `written` at the previous drain. */
  private drained = 0;

  constructor(pool: string, capacity: number = REQUEST_SAMPLE_CAPACITY) {
    this.pool = pool;
    this.capacity = capacity;
    this.atMs = new Float64Array(capacity);
    this.keyHashes = new Float64Array(capacity);
    this.inflight = new Uint32Array(capacity);
    this.flags = new Uint8Array(capacity);
    this.backends = new Array<string>(capacity).fill('');
  }

  /** Requests held now (at most capacity). */
  get size(): number {
    return this.written < this.capacity ? this.written : this.capacity;
  }

  /** Requests recorded since the ring was made, including those since overwritten. */
  get recorded(): number {
    return this.written;
  }

  record(atMs: number, keyHash: number, backendId: string, inflight: number, isPinned: boolean, isSpilled: boolean): void {
    const slot = this.written % this.capacity;
    this.written++;
    this.atMs[slot] = atMs;
    this.keyHashes[slot] = keyHash;
    this.backends[slot] = backendId;
    this.inflight[slot] = inflight;
    this.flags[slot] = (isPinned ? FLAG_PINNED : 0) | (isSpilled ? FLAG_SPILLED : 0);
  }

  /** The requests held, oldest first. */
  read(): SampledRequest[] {
    const requests: SampledRequest[] = [];
    for (let n = this.written - this.size; n < this.written; n++) {
      const slot = n % this.capacity;
      const flags = this.flags[slot];
      requests.push({
        atMs: this.atMs[slot],
        keyHash: this.keyHashes[slot],
        backend: this.backends[slot],
        inflight: this.inflight[slot],
        isPinned: (flags & FLAG_PINNED) !== 0,
        isSpilled: (flags & FLAG_SPILLED) !== 0,
      });
    }
    return requests;
  }

  /**
   * How concentrated the keys of the held requests recorded in (sinceMs, untilMs] are: the request
   * counts of the `topKeys` busiest keys, largest first (requests without a key are counted in the
   * totals only). Counts in a typed-array hash table instead of a Map: the monitor calls it every
   * second on the proxy's event loop, and a Map of 10,000 distinct keys cost 4 ms, sorting a copy of
   * the keys 0.6 ms, the table about 0.1 ms (10,000 requests, distinct keys).
   */
  keyConcentration(sinceMs: number, untilMs: number, topKeys: number): KeyConcentration {
    const { requests, pinned, topKeyRequests, distinctKeys } = this.busiestKeys(sinceMs, untilMs, topKeys);
    return { requests, pinned, topKeyRequests, distinctKeys };
  }

  /** keyConcentration, and the (hashed) keys of the busiest keys, in the same order as their counts. */
  busiestKeys(sinceMs: number, untilMs: number, topKeys: number): KeyConcentration & { readonly topKeyHashes: readonly number[] } {
    const { shift, keys, counts, slots, sorted } = keyTally(this.capacity);
    const topKeyHashes: number[] = [];
    const mask = (2 ** (32 - shift) - 1) | 0;
    counts.fill(0);
    let requests = 0;
    let pinned = 0;
    let keyed = 0;
    let distinctKeys = 0;
    let probesLeft = 1024;
    for (let n = this.written - this.size; n < this.written; n++) {
      const slot = n % this.capacity;
      const atMs = this.atMs[slot];
      if (atMs <= sinceMs || atMs > untilMs) continue;
      requests++;
      if ((this.flags[slot] & FLAG_PINNED) !== 0) pinned++;
      const keyHash = this.keyHashes[slot];
      if (keyHash === NO_SAMPLE_KEY) continue;
      sorted[keyed++] = keyHash;
      if (probesLeft < 0) continue; // gave up on the table: only collect the keys for the sort
      probesLeft += MAX_PROBES_PER_KEY;
      // At most `capacity` keys in a table of at least twice as many slots: a free slot is always found.
      let at = Math.imul(keyHash ^ TALLY_SEED, 0x9e3779b1) >>> shift;
      while (counts[at] !== 0 && keys[at] !== keyHash) {
        at = (at + 1) & mask;
        probesLeft--;
      }
      if (counts[at] === 0) {
        keys[at] = keyHash;
        slots[distinctKeys++] = at;
      }
      counts[at]++;
    }
    if (probesLeft < 0) {
      const bySort = tallyBySort(sorted, keyed, topKeys, topKeyHashes);
      return { requests, pinned, topKeyRequests: bySort.top, distinctKeys: bySort.distinctKeys, topKeyHashes };
    }
    const top: number[] = [];
    for (let i = 0; i < distinctKeys; i++) keepLargest(top, counts[slots[i]], topKeys, topKeyHashes, keys[slots[i]]);
    return { requests, pinned, topKeyRequests: top, distinctKeys, topKeyHashes };
  }

  /**
   * What was recorded since the previous drain (those still held), at most `limit` of them: every
   * k-th when there are more. Undefined when nothing is new.
   */
  drain(limit: number): PoolSampleDelta | undefined {
    const from = Math.max(this.drained, this.written - this.size);
    const to = this.written;
    this.drained = to;
    if (from >= to) return undefined;
    const stride = Math.ceil((to - from) / limit);
    const delta: PoolSampleDelta = { pool: this.pool, atMs: [], keyHashes: [], backends: [], inflight: [], flags: [] };
    for (let n = from; n < to; n += stride) {
      const slot = n % this.capacity;
      delta.atMs.push(this.atMs[slot]);
      delta.keyHashes.push(this.keyHashes[slot]);
      delta.backends.push(this.backends[slot]);
      delta.inflight.push(this.inflight[slot]);
      delta.flags.push(this.flags[slot]);
    }
    return delta;
  }

  /** Appends a worker's drained requests (the cluster primary's side). */
  merge(delta: PoolSampleDelta): void {
    for (let i = 0; i < delta.atMs.length; i++) {
      const flags = delta.flags[i];
      this.record(delta.atMs[i], delta.keyHashes[i], delta.backends[i], delta.inflight[i], (flags & FLAG_PINNED) !== 0, (flags & FLAG_SPILLED) !== 0);
    }
  }
}

/** Every pool's ring. Telemetry holds one: `telemetry.requestSample`. */
export class RequestSample {
  private readonly capacity: number;
  private readonly ringsByPool = new Map<string, PoolRequestRing>();
  /** Most nodes serve one or two pools: remembering the last ring skips the Map on most requests. */
  private lastPool: string | undefined;
  private lastRing: PoolRequestRing | undefined;

  constructor(capacity: number = REQUEST_SAMPLE_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new TelemetryError('EK_TELEMETRY_SAMPLE_INVALID', `a request sample of ${capacity} requests: expected a whole number of at least 1`);
    }
    this.capacity = capacity;
  }

  /** Records one pick. Allocation-free except the first time a pool is seen. */
  record(pool: string, atMs: number, keyHash: number, backendId: string, inflight: number, isPinned: boolean, isSpilled: boolean): void {
    let ring = this.lastRing;
    if (pool !== this.lastPool || ring === undefined) {
      ring = this.ringOf(pool);
      this.lastPool = pool;
      this.lastRing = ring;
    }
    ring.record(atMs, keyHash, backendId, inflight, isPinned, isSpilled);
  }

  /** The ring of one pool, created empty when unknown. */
  ringOf(pool: string): PoolRequestRing {
    let ring = this.ringsByPool.get(pool);
    if (ring === undefined) {
      ring = new PoolRequestRing(pool, this.capacity);
      this.ringsByPool.set(pool, ring);
    }
    return ring;
  }

  /** Every pool's ring. */
  rings(): IterableIterator<PoolRequestRing> {
    return this.ringsByPool.values();
  }

  /** Every pool's held requests, oldest first within a pool. */
  read(): SampledPool[] {
    const pools: SampledPool[] = [];
    for (const ring of this.ringsByPool.values()) pools.push({ pool: ring.pool, requests: ring.read() });
    return pools;
  }

  /** What every pool recorded since the previous drain, for a telemetry delta. */
  drain(limit: number = SAMPLE_DELTA_LIMIT): PoolSampleDelta[] {
    const deltas: PoolSampleDelta[] = [];
    for (const ring of this.ringsByPool.values()) {
      const delta = ring.drain(limit);
      if (delta !== undefined) deltas.push(delta);
    }
    return deltas;
  }

  /** Appends a worker's drained requests; call only with deltas that passed assertSampleDeltas. */
  merge(deltas: readonly PoolSampleDelta[]): void {
    for (const delta of deltas) this.ringOf(delta.pool).merge(delta);
  }
}

/** Checks the sample part of a telemetry delta; returns a problem or undefined. */
export function sampleDeltaProblem(deltas: unknown): string | undefined {
  if (!Array.isArray(deltas)) return 'samples is not an array';
  for (const delta of deltas as Partial<PoolSampleDelta>[]) {
    if (typeof delta?.pool !== 'string') return 'a sample without a pool';
    const length = Array.isArray(delta.atMs) ? delta.atMs.length : -1;
    if (length < 0 || !sameLength([delta.keyHashes, delta.backends, delta.inflight, delta.flags], length)) {
      return `pool ${delta.pool}: sample columns missing or of different lengths`;
    }
    for (let i = 0; i < length; i++) {
      const keyHash = (delta.keyHashes as unknown[])[i];
      const inflight = (delta.inflight as unknown[])[i];
      const flags = (delta.flags as unknown[])[i];
      if (
        !Number.isFinite((delta.atMs as unknown[])[i]) ||
        typeof (delta.backends as unknown[])[i] !== 'string' ||
        !Number.isInteger(keyHash) || (keyHash as number) < NO_SAMPLE_KEY || (keyHash as number) > 0xffffffff ||
        !Number.isInteger(inflight) || (inflight as number) < 0 ||
        !Number.isInteger(flags) || (flags as number) < 0 || (flags as number) > (FLAG_PINNED | FLAG_SPILLED)
      ) {
        return `pool ${delta.pool}: sampled request ${i} malformed`;
      }
    }
  }
  return undefined;
}

function sameLength(columns: unknown[], length: number): boolean {
  for (const column of columns) if (!Array.isArray(column) || column.length !== length) return false;
  return true;
}
