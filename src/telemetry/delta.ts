import { AMOUNT_FIELDS, COUNT_FIELDS, RING_SECONDS, type BackendSeries } from './backend-series.js';
import { TelemetryError } from './errors.js';
import { sampleDeltaProblem, type PoolSampleDelta } from './request-sample.js';

// Cluster aggregation. Each worker process has its own Telemetry and, once a second, sends the
// primary what changed since its previous report; the primary folds it into its own Telemetry so
// /metrics and the windows describe the whole node. Deltas are keyed by (pool, backend id) because
// BackendState serials differ per process, and are plain JSON (cluster IPC serialises with JSON).
//
// Exactly once: draining moves the "already reported" marks forward, so a second drain never
// repeats a sample; each delta also carries (source, sequence) and the primary refuses one whose
// sequence it has already seen from that source.

export const DELTA_FORMAT = 1;

/** What one worker's Telemetry recorded since its previous drain. JSON-serialisable. */
export interface TelemetryDelta {
  readonly format: typeof DELTA_FORMAT;
  /** Random per Telemetry instance. */
  readonly source: string;
  /** 1, 2, 3, ... per source. */
  readonly sequence: number;
  readonly backends: BackendDelta[];
  readonly proxyErrors: ProxyErrorDelta[];
  /** Requests sampled since the previous drain, per pool (request-sample.ts); absent means none. */
  readonly samples?: PoolSampleDelta[];
}

export interface BackendDelta {
  readonly pool: string;
  readonly id: string;
  /** Requests in flight to this backend from the worker at drain time (a level, not an increment). */
  readonly inflight: number;
  /** Increments of the cumulative counters, COUNT_FIELDS long (layout in backend-series.ts). */
  readonly counts: number[];
  /** Increments of the cumulative amounts, AMOUNT_FIELDS long. */
  readonly amounts: number[];
  /** The same samples per second, for the primary's ring; seconds are Math.floor(ms / 1000). */
  readonly seconds: SecondDelta[];
}

export interface SecondDelta {
  readonly second: number;
  readonly counts: number[];
  readonly amounts: number[];
}

export interface ProxyErrorDelta {
  readonly pool: string;
  readonly code: string;
  readonly count: number;
}

/**
 * What `series` recorded since its previous drain, or undefined when nothing changed (no samples
 * and the same in-flight count). Moves the drain marks forward.
 */
export function drainSeries(series: BackendSeries, previousDrainSecond: number, nowSecond: number): BackendDelta | undefined {
  const inflight = series.key?.inflight ?? 0;
  if (!series.isDirty && inflight === series.reportedInflight) return undefined;
  series.reportedInflight = inflight;
  const counts = new Array<number>(COUNT_FIELDS);
  const amounts = new Array<number>(AMOUNT_FIELDS);
  for (let i = 0; i < COUNT_FIELDS; i++) {
    counts[i] = series.totalCounts[i] - series.drainedCounts[i];
    series.drainedCounts[i] = series.totalCounts[i];
  }
  for (let i = 0; i < AMOUNT_FIELDS; i++) {
    amounts[i] = series.totalAmounts[i] - series.drainedAmounts[i];
    series.drainedAmounts[i] = series.totalAmounts[i];
  }

  const seconds: SecondDelta[] = [];
  if (series.isDirty) {
    // Seconds after the previous drain, plus the second that drain caught half-way through.
    const from = Math.max(previousDrainSecond, nowSecond - RING_SECONDS + 1);
    for (let second = from; second <= nowSecond; second++) {
      const slot = second % RING_SECONDS;
      if (second < 0 || series.slotSecond[slot] !== second) continue;
      const isPartlyDrained = second === series.drainedSecond;
      const secondCounts = new Array<number>(COUNT_FIELDS);
      const secondAmounts = new Array<number>(AMOUNT_FIELDS);
      let hasSamples = false;
      for (let i = 0; i < COUNT_FIELDS; i++) {
        const value = series.slotCounts[slot * COUNT_FIELDS + i];
        let increment = isPartlyDrained ? value - series.drainedSlotCounts[i] : value;
        // A clock step backwards can clear and refill a slot; never send a negative count.
        if (increment < 0) increment = value;
        secondCounts[i] = increment;
        if (increment !== 0) hasSamples = true;
      }
      for (let i = 0; i < AMOUNT_FIELDS; i++) {
        const value = series.slotAmounts[slot * AMOUNT_FIELDS + i];
        let increment = isPartlyDrained ? value - series.drainedSlotAmounts[i] : value;
        if (increment < 0) increment = value;
        secondAmounts[i] = increment;
      }
      if (hasSamples) seconds.push({ second, counts: secondCounts, amounts: secondAmounts });
    }
    // Remember the current second's values: the next drain sends only what comes after them.
    const slot = nowSecond % RING_SECONDS;
    series.drainedSecond = nowSecond;
    if (series.slotSecond[slot] === nowSecond) {
      series.drainedSlotCounts.set(series.slotCounts.subarray(slot * COUNT_FIELDS, slot * COUNT_FIELDS + COUNT_FIELDS));
      series.drainedSlotAmounts.set(series.slotAmounts.subarray(slot * AMOUNT_FIELDS, slot * AMOUNT_FIELDS + AMOUNT_FIELDS));
    } else {
      series.drainedSlotCounts.fill(0);
      series.drainedSlotAmounts.fill(0);
    }
    series.isDirty = false;
  }
  return { pool: series.poolName, id: series.id, inflight, counts, amounts, seconds };
}

/** Folds one backend's delta into `series` (totals always; seconds while the ring still holds them). */
export function mergeSeries(series: BackendSeries, delta: BackendDelta, workerId: number): void {
  for (let i = 0; i < COUNT_FIELDS; i++) series.totalCounts[i] += delta.counts[i];
  for (let i = 0; i < AMOUNT_FIELDS; i++) series.totalAmounts[i] += delta.amounts[i];
  for (const second of delta.seconds) series.addToSecond(second.second, second.counts, second.amounts);
  series.workerInflight.set(workerId, delta.inflight);
}

/** Checks the shape of a delta from another process before any of it is merged. */
export function assertDelta(delta: unknown): asserts delta is TelemetryDelta {
  const d = delta as Partial<TelemetryDelta> | null;
  if (d === null || typeof d !== 'object') throw invalid('not an object');
  if (d.format !== DELTA_FORMAT) throw invalid(`format ${JSON.stringify(d.format)}, expected ${DELTA_FORMAT}`);
  if (typeof d.source !== 'string' || !Number.isInteger(d.sequence)) throw invalid('missing source or sequence');
  if (!Array.isArray(d.backends) || !Array.isArray(d.proxyErrors)) throw invalid('missing backends or proxyErrors');
  for (const backend of d.backends) {
    if (typeof backend?.pool !== 'string' || typeof backend.id !== 'string' || !Number.isFinite(backend.inflight)) {
      throw invalid('a backend without pool, id or inflight');
    }
    if (!isNumbers(backend.counts, COUNT_FIELDS) || !isNumbers(backend.amounts, AMOUNT_FIELDS) || !Array.isArray(backend.seconds)) {
      throw invalid(`backend ${backend.pool}/${backend.id}: counts, amounts or seconds malformed`);
    }
    for (const second of backend.seconds) {
      if (!Number.isInteger(second?.second) || !isNumbers(second.counts, COUNT_FIELDS) || !isNumbers(second.amounts, AMOUNT_FIELDS)) {
        throw invalid(`backend ${backend.pool}/${backend.id}: a malformed second`);
      }
    }
  }
  for (const error of d.proxyErrors) {
    if (typeof error?.pool !== 'string' || typeof error.code !== 'string' || !Number.isFinite(error.count)) throw invalid('a malformed proxy error count');
  }
  if (d.samples !== undefined) {
    const problem = sampleDeltaProblem(d.samples);
    if (problem !== undefined) throw invalid(problem);
  }
}

function isNumbers(values: unknown, length: number): boolean {
  if (!Array.isArray(values) || values.length !== length) return false;
  for (const value of values) if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return false;
  return true;
}

function invalid(why: string): TelemetryError {
  return new TelemetryError('EK_TELEMETRY_DELTA_INVALID', `telemetry delta rejected: ${why}; deltas must come from Telemetry.drainDelta() of the same evenkeel version`);
}
