import { LATENCY_BUCKET_COUNT, STATUS_CLASS_COUNT, countSlowerThanMs, latencyBucketOf, statusClassOf } from './buckets.js';
import type { BackendKey } from './sink.js';

// The counters of one backend, keyed by (pool, backend id) rather than by BackendState, so that a
// backend removed and re-added by a reload, or the same backend seen through several worker
// processes, lands in one place.
//
// Two views of the same samples:
// - cumulative totals since start (Prometheus counters);
// - a ring of RING_SECONDS one-second slots (the monitor's rolling windows). Slot = second % RING_SECONDS,
//   stamped with its second and cleared lazily when a later second reuses it, so a quiet backend
//   costs nothing per second and reading ignores slots whose stamp is outside the window.
//
// Counts and amounts are split so counts can live in 32-bit slots: per backend the ring costs
// RING_SECONDS × (COUNT_FIELDS × 4 + AMOUNT_FIELDS × 8 + 8) bytes, about 35 KB.

/** Seconds kept per backend: 5 minutes. */
export const RING_SECONDS = 300;

// Layout of a count record (totals, one ring slot, a delta): the same everywhere so merging is a loop.
/** Requests by status class, STATUS_CLASS_COUNT fields (1xx..5xx). */
export const COUNT_CLASS = 0;
/** Requests whose backend persistence chose. */
export const COUNT_PINNED = COUNT_CLASS + STATUS_CLASS_COUNT;
/** Requests persistence wanted elsewhere but had to spill. */
export const COUNT_SPILLED = COUNT_PINNED + 1;
/** Latency histogram, non-cumulative, LATENCY_BUCKET_COUNT fields (last is +Inf). */
export const COUNT_LATENCY = COUNT_SPILLED + 1;
export const COUNT_FIELDS = COUNT_LATENCY + LATENCY_BUCKET_COUNT;

// Layout of an amount record.
export const AMOUNT_LATENCY_SUM_MS = 0;
export const AMOUNT_BYTES_IN = 1;
export const AMOUNT_BYTES_OUT = 2;
export const AMOUNT_FIELDS = 3;

export class BackendSeries {
  readonly poolName: string;
  readonly id: string;
  /** The newest BackendKey recorded through in this process; its `inflight` goes into deltas. */
  key: BackendKey | undefined;

  readonly totalCounts = new Float64Array(COUNT_FIELDS);
  readonly totalAmounts = new Float64Array(AMOUNT_FIELDS);

  /** Second held by each slot, -1 when never used. */
  readonly slotSecond = new Float64Array(RING_SECONDS).fill(-1);
  readonly slotCounts = new Uint32Array(RING_SECONDS * COUNT_FIELDS);
  readonly slotAmounts = new Float64Array(RING_SECONDS * AMOUNT_FIELDS);

  // Drain bookkeeping (workers): what the previous delta already carried. See delta.ts.
  /** Something was recorded since the previous drain. */
  isDirty = false;
  readonly drainedCounts = new Float64Array(COUNT_FIELDS);
  readonly drainedAmounts = new Float64Array(AMOUNT_FIELDS);
  /** The second of the slot that was partly drained, and its values at that drain. */
  drainedSecond = -1;
  readonly drainedSlotCounts = new Uint32Array(COUNT_FIELDS);
  readonly drainedSlotAmounts = new Float64Array(AMOUNT_FIELDS);
  reportedInflight = 0;

  /** In-flight requests reported by each worker in its latest delta (primary only). */
  readonly workerInflight = new Map<number, number>();

  constructor(poolName: string, id: string) {
    this.poolName = poolName;
    this.id = id;
  }

  /**
   * The ring slot for `second`, cleared first if it held an earlier second; -1 when the slot
   * already holds a later second (a sample older than the ring, which then counts in totals only).
   */
  slotFor(second: number): number {
    const slot = second % RING_SECONDS;
    const held = this.slotSecond[slot];
    if (held === second) return slot;
    if (held > second) return -1;
    this.slotCounts.fill(0, slot * COUNT_FIELDS, slot * COUNT_FIELDS + COUNT_FIELDS);
    this.slotAmounts.fill(0, slot * AMOUNT_FIELDS, slot * AMOUNT_FIELDS + AMOUNT_FIELDS);
    this.slotSecond[slot] = second;
    return slot;
  }

  /** One request; the hot path, so no allocation and no branches beyond the flags. */
  record(nowMs: number, statusCode: number, latencyMs: number, bytesIn: number, bytesOut: number, isPinned: boolean, isSpilled: boolean): void {
    if (!(latencyMs >= 0)) latencyMs = 0;
    const classField = COUNT_CLASS + statusClassOf(statusCode);
    const latencyField = COUNT_LATENCY + latencyBucketOf(latencyMs);
    const totals = this.totalCounts;
    totals[classField]++;
    totals[latencyField]++;
    if (isPinned) totals[COUNT_PINNED]++;
    if (isSpilled) totals[COUNT_SPILLED]++;
    const amounts = this.totalAmounts;
    amounts[AMOUNT_LATENCY_SUM_MS] += latencyMs;
    amounts[AMOUNT_BYTES_IN] += bytesIn;
    amounts[AMOUNT_BYTES_OUT] += bytesOut;
    this.isDirty = true;

    const slot = this.slotFor(Math.floor(nowMs / 1000));
    if (slot < 0) return;
    const counts = this.slotCounts;
    const base = slot * COUNT_FIELDS;
    counts[base + classField]++;
    counts[base + latencyField]++;
    if (isPinned) counts[base + COUNT_PINNED]++;
    if (isSpilled) counts[base + COUNT_SPILLED]++;
    const slotAmounts = this.slotAmounts;
    const amountBase = slot * AMOUNT_FIELDS;
    slotAmounts[amountBase + AMOUNT_LATENCY_SUM_MS] += latencyMs;
    slotAmounts[amountBase + AMOUNT_BYTES_IN] += bytesIn;
    slotAmounts[amountBase + AMOUNT_BYTES_OUT] += bytesOut;
  }

  /** Adds one second's counts and amounts (from a worker's delta) to the ring, if the ring still holds that second. */
  addToSecond(second: number, counts: ArrayLike<number>, amounts: ArrayLike<number>): void {
    const slot = this.slotFor(second);
    if (slot < 0) return;
    const base = slot * COUNT_FIELDS;
    for (let i = 0; i < COUNT_FIELDS; i++) this.slotCounts[base + i] += counts[i];
    const amountBase = slot * AMOUNT_FIELDS;
    for (let i = 0; i < AMOUNT_FIELDS; i++) this.slotAmounts[amountBase + i] += amounts[i];
  }

  /** Adds the slots of seconds fromSecond..toSecond (inclusive) into `counts` and `amounts`. */
  sumSeconds(fromSecond: number, toSecond: number, counts: Float64Array, amounts: Float64Array): void {
    for (let second = fromSecond; second <= toSecond; second++) {
      const slot = second % RING_SECONDS;
      if (this.slotSecond[slot] !== second) continue;
      const base = slot * COUNT_FIELDS;
      for (let i = 0; i < COUNT_FIELDS; i++) counts[i] += this.slotCounts[base + i];
      const amountBase = slot * AMOUNT_FIELDS;
      for (let i = 0; i < AMOUNT_FIELDS; i++) amounts[i] += this.slotAmounts[amountBase + i];
    }
  }

  /** Requests answered in `second` (every status class), 0 when the ring no longer holds it. */
  requestsIn(second: number): number {
    const slot = second % RING_SECONDS;
    if (second < 0 || this.slotSecond[slot] !== second) return 0;
    const base = slot * COUNT_FIELDS + COUNT_CLASS;
    let requests = 0;
    for (let i = 0; i < STATUS_CLASS_COUNT; i++) requests += this.slotCounts[base + i];
    return requests;
  }

  /** Sum of the latest in-flight counts the workers reported. */
  sumWorkerInflight(): number {
    let inflight = 0;
    for (const count of this.workerInflight.values()) inflight += count;
    return inflight;
  }
}

/** One backend's requests in one whole second as an incident counts them. */
export interface SecondImpact {
  requests: number;
  /** 5xx answers (evenkeel's own 502/503/504 for this backend included). */
  failed: number;
  /** Requests in latency buckets wholly above the threshold (countSlowerThanMs). */
  slowed: number;
}

/** Requests, 5xx and requests slower than `thresholdMs` of `series` in `second`; zeros when the ring no longer holds it. Off the hot path (incidents, once a second). */
export function secondImpactOf(series: BackendSeries, second: number, thresholdMs: number): SecondImpact {
  const slot = second % RING_SECONDS;
  if (second < 0 || series.slotSecond[slot] !== second) return { requests: 0, failed: 0, slowed: 0 };
  const base = slot * COUNT_FIELDS;
  let requests = 0;
  for (let i = 0; i < STATUS_CLASS_COUNT; i++) requests += series.slotCounts[base + COUNT_CLASS + i];
  return { requests, failed: series.slotCounts[base + COUNT_CLASS + STATUS_CLASS_COUNT - 1], slowed: countSlowerThanMs(series.slotCounts, base + COUNT_LATENCY, thresholdMs) };
}
