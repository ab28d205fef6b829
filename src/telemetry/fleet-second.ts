import { AMOUNT_FIELDS, COUNT_CLASS, COUNT_FIELDS, RING_SECONDS } from './backend-series.js';
import { STATUS_CLASSES } from './buckets.js';
import { DELTA_FORMAT, type BackendDelta } from './delta.js';
import { TelemetryError } from './errors.js';
import { PUBLISHED_KEYS_PER_SECOND, type SecondKeys } from './fleet-key-window.js';
import type { Telemetry } from './telemetry.js';

// Fleet aggregation (docs/fleet.md, "One monitor for the fleet"). Each node of a fleet publishes the
// whole seconds of its Telemetry (per backend: status classes, pinned/spilled, the latency histogram
// and the latency sum: everything the monitor rules read) to the store; the monitor leader folds every
// node's seconds into a fleet-wide Telemetry. Unlike the workers' deltas (delta.ts), reading a second
// moves no mark in the node's Telemetry: a second is published once it is complete, read straight
// from the ring, so the node's own drains, windows and /metrics are untouched.

export const FLEET_SECOND_FORMAT = 1;

/** One whole second of one node's per-backend telemetry. JSON-serialisable. */
export interface FleetSecond {
  readonly format: typeof FLEET_SECOND_FORMAT;
  readonly backends: FleetSecondBackend[];
  /**
   * On the newest second of each publish: the node's requests in flight per backend then (a level),
   * and its proxy errors since the previous publish (increments).
   */
  readonly inflight?: { pool: string; id: string; inflight: number }[];
  readonly proxyErrors?: { pool: string; code: string; count: number }[];
  /** Per pool with sampled requests that second: its busiest persistence keys (fleet-key-window.ts). */
  readonly keys?: SecondKeys[];
}

export interface FleetSecondBackend {
  readonly pool: string;
  readonly id: string;
  /** COUNT_FIELDS long, the layout of backend-series.ts. */
  readonly counts: number[];
  /** AMOUNT_FIELDS long. */
  readonly amounts: number[];
}

/**
 * The seconds fromSecond..toSecond (epoch seconds, inclusive) that `telemetry` still holds and that
 * have any request, by second. The caller passes only seconds that are complete.
 */
export function readFleetSeconds(telemetry: Telemetry, fromSecond: number, toSecond: number): Map<number, FleetSecond> {
  const bySecond = new Map<number, FleetSecondBackend[]>();
  const from = Math.max(fromSecond, toSecond - RING_SECONDS + 1);
  for (const series of telemetry.allSeries()) {
    for (let second = from; second <= toSecond; second++) {
      const slot = second % RING_SECONDS;
      if (second < 0 || series.slotSecond[slot] !== second) continue;
      const counts = Array.from(series.slotCounts.subarray(slot * COUNT_FIELDS, slot * COUNT_FIELDS + COUNT_FIELDS));
      if (!counts.some((count) => count !== 0)) continue;
      const amounts = Array.from(series.slotAmounts.subarray(slot * AMOUNT_FIELDS, slot * AMOUNT_FIELDS + AMOUNT_FIELDS));
      let backends = bySecond.get(second);
      if (backends === undefined) {
        backends = [];
        bySecond.set(second, backends);
      }
      backends.push({ pool: series.poolName, id: series.id, counts, amounts });
    }
  }
  const seconds = new Map<number, FleetSecond>();
  for (const [second, backends] of [...bySecond].sort((a, b) => a[0] - b[0])) seconds.set(second, { format: FLEET_SECOND_FORMAT, backends });
  return seconds;
}

/**
 * Per pool, the requests the node's request sample holds for `second` (epoch seconds) and their
 * PUBLISHED_KEYS_PER_SECOND busiest keys; pools with none that second are left out. Read it while the
 * sample still holds the second: a single process keeps its last 10,000 picks per pool.
 */
export function readFleetKeys(telemetry: Telemetry, second: number): SecondKeys[] {
  const keys: SecondKeys[] = [];
  // The sample holds (since, until]: the second's requests are those from second * 1000 on.
  const sinceMs = second * 1000 - 0.001;
  for (const ring of telemetry.requestSample.rings()) {
    const found = ring.busiestKeys(sinceMs, sinceMs + 1000, PUBLISHED_KEYS_PER_SECOND);
    if (found.requests === 0) continue;
    keys.push({ pool: ring.pool, requests: found.requests, pinned: found.pinned, keys: [...found.topKeyHashes], counts: [...found.topKeyRequests] });
  }
  return keys;
}

/** The node's requests in flight per backend now: its workers' sum in a cluster primary, else its own. */
export function readFleetInflight(telemetry: Telemetry): { pool: string; id: string; inflight: number }[] {
  return telemetry.allSeries().map((series) => ({ pool: series.poolName, id: series.id, inflight: telemetry.workerInflight(series.poolName, series.id) ?? series.key?.inflight ?? 0 }));
}

/**
 * Adds one node's second to `telemetry` (the leader's fleet-wide one): its ring while it still holds
 * that second, and the totals. Throws EK_TELEMETRY_DELTA_INVALID for a malformed second, merging
 * nothing.
 */
export function mergeFleetSecond(telemetry: Telemetry, second: number, data: unknown, node: { source: string; number: number }): void {
  assertFleetSecond(second, data);
  if (data.inflight !== undefined || data.proxyErrors !== undefined) {
    // Levels and proxy errors go through the workers' path: a node is a worker of the fleet (its
    // in-flight counts are summed per backend, forgotten with forgetWorker when it stops publishing).
    const zeros = { counts: new Array<number>(COUNT_FIELDS).fill(0), amounts: new Array<number>(AMOUNT_FIELDS).fill(0), seconds: [] };
    const backends: BackendDelta[] = (data.inflight ?? []).map((level) => ({ pool: level.pool, id: level.id, inflight: level.inflight, ...zeros }));
    telemetry.mergeDelta({ format: DELTA_FORMAT, source: node.source, sequence: second, backends, proxyErrors: data.proxyErrors ?? [] }, node.number);
  }
  if (data.keys !== undefined && telemetry.fleetKeys !== undefined) {
    for (const keys of data.keys) telemetry.fleetKeys.add(second, keys, poolRequests(data.backends, keys.pool));
  }
  for (const backend of data.backends) {
    const series = telemetry.seriesOf(backend.pool, backend.id);
    for (let i = 0; i < COUNT_FIELDS; i++) series.totalCounts[i] += backend.counts[i]!;
    for (let i = 0; i < AMOUNT_FIELDS; i++) series.totalAmounts[i] += backend.amounts[i]!;
    series.addToSecond(second, backend.counts, backend.amounts);
  }
}

/** The requests of `pool` that finished in the second, over its backends. */
function poolRequests(backends: readonly FleetSecondBackend[], pool: string): number {
  let requests = 0;
  for (const backend of backends) {
    if (backend.pool !== pool) continue;
    for (let i = COUNT_CLASS; i < COUNT_CLASS + STATUS_CLASSES.length; i++) requests += backend.counts[i]!;
  }
  return requests;
}

function assertFleetSecond(second: number, data: unknown): asserts data is FleetSecond {
  const d = data as Partial<FleetSecond> | null;
  if (!Number.isInteger(second) || second < 0) throw invalid(`second ${second}`);
  if (d === null || typeof d !== 'object' || d.format !== FLEET_SECOND_FORMAT || !Array.isArray(d.backends)) throw invalid('not a FleetSecond of this format');
  for (const backend of d.backends) {
    if (typeof backend?.pool !== 'string' || typeof backend.id !== 'string' || !isCounts(backend.counts, COUNT_FIELDS) || !isCounts(backend.amounts, AMOUNT_FIELDS)) {
      throw invalid('a malformed backend');
    }
  }
  if (d.keys !== undefined) {
    if (!Array.isArray(d.keys)) throw invalid('malformed keys');
    for (const keys of d.keys) {
      const length = Array.isArray(keys?.keys) ? keys.keys.length : -1;
      if (typeof keys?.pool !== 'string' || !isCount(keys.requests) || !isCount(keys.pinned) || !isCounts(keys.keys, length) || !isCounts(keys.counts, length)) {
        throw invalid('malformed keys');
      }
    }
  }
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function isCounts(values: unknown, length: number): values is number[] {
  return Array.isArray(values) && values.length === length && values.every((value) => typeof value === 'number' && Number.isFinite(value) && value >= 0);
}

function invalid(why: string): TelemetryError {
  return new TelemetryError('EK_TELEMETRY_DELTA_INVALID', `fleet telemetry second rejected: ${why}; it must come from readFleetSeconds() of the same evenkeel version`);
}
