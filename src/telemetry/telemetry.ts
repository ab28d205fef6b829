import { randomUUID } from 'node:crypto';
import {
  AMOUNT_BYTES_IN,
  AMOUNT_BYTES_OUT,
  AMOUNT_FIELDS,
  AMOUNT_LATENCY_SUM_MS,
  BackendSeries,
  COUNT_CLASS,
  COUNT_FIELDS,
  COUNT_LATENCY,
  COUNT_PINNED,
  COUNT_SPILLED,
  RING_SECONDS,
} from './backend-series.js';
import { STATUS_CLASSES, estimateQuantileMs, type StatusClass } from './buckets.js';
import { DELTA_FORMAT, assertDelta, drainSeries, mergeSeries, type BackendDelta, type ProxyErrorDelta, type TelemetryDelta } from './delta.js';
import { TelemetryError } from './errors.js';
import { FleetKeyWindow } from './fleet-key-window.js';
import { RequestSample, type KeyConcentration } from './request-sample.js';
import type { BackendKey, TelemetrySink } from './sink.js';

export interface TelemetryOptions {
  /** Wall clock in milliseconds; injected by tests. */
  now?: () => number;
  /** Requests kept per pool for impact simulations; REQUEST_SAMPLE_CAPACITY by default. */
  requestSampleCapacity?: number;
  /**
   * A fleet's monitor leader: the persistence rule reads the key counts every node published
   * (fleet-key-window.ts), not this process's own request sample.
   */
  isFleet?: boolean;
}

/** One backend's traffic over a window of whole seconds. */
export interface BackendWindow {
  readonly id: string;
  readonly requests: number;
  readonly byClass: Readonly<Record<StatusClass, number>>;
  readonly pinned: number;
  readonly spilled: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** 0 when there were no requests. */
  readonly latencyMeanMs: number;
  /** Estimates from the per-second latency histograms (see estimateQuantileMs); 0 when there were no requests. */
  readonly latencyP50Ms: number;
  readonly latencyP95Ms: number;
  readonly latencyP99Ms: number;
}

/** A proxy error count, per pool and x-evenkeel-error code. */
export interface ProxyErrorCount {
  readonly pool: string;
  readonly code: string;
  count: number;
  /** Part of `count` already sent in a delta. */
  drained: number;
}

/**
 * Per-backend request counters for one process (a worker, or a single-process node), or for a whole
 * node when it is the cluster primary merging its workers' deltas. See backend-series.ts for the layout.
 */
export class Telemetry implements TelemetrySink {
  private readonly now: () => number;
  /** Indexed by BackendKey.serial: the hot path's only lookup. Holey while serials are sparse. */
  private readonly seriesBySerial: (BackendSeries | undefined)[] = [];
  private readonly seriesByPool = new Map<string, Map<string, BackendSeries>>();
  private readonly everySeries: BackendSeries[] = [];
  private readonly errorsByPool = new Map<string, Map<string, ProxyErrorCount>>();
  private readonly everyError: ProxyErrorCount[] = [];

  private readonly source = randomUUID();
  private sequence = 0;
  private lastDrainSecond = -1;
  private readonly lastSequenceBySource = new Map<string, number>();
  private hasWorkerReports = false;
  /**
   * The recent requests of every pool, for impact simulations (request-sample.ts). A worker records
   * into its own and sends them in its deltas; the primary's is filled by mergeDelta.
   */
  readonly requestSample: RequestSample;
  /** On a fleet's monitor leader: every node's busiest keys per second, filled by mergeFleetSecond. */
  readonly fleetKeys: FleetKeyWindow | undefined;

  constructor(options: TelemetryOptions = {}) {
    this.now = options.now ?? Date.now;
    this.requestSample = new RequestSample(options.requestSampleCapacity);
    this.fleetKeys = options.isFleet === true ? new FleetKeyWindow() : undefined;
  }

  /**
   * How concentrated a pool's persistence keys were in (sinceMs, untilMs]: from the request sample,
   * or on a fleet's monitor leader from the key counts the nodes published.
   */
  keyConcentration(pool: string, sinceMs: number, untilMs: number, topKeys: number): KeyConcentration {
    if (this.fleetKeys !== undefined) return this.fleetKeys.keyConcentration(pool, sinceMs, untilMs, topKeys);
    return this.requestSample.ringOf(pool).keyConcentration(sinceMs, untilMs, topKeys);
  }

  recordRequest(
    backend: BackendKey,
    statusCode: number,
    latencyMs: number,
    bytesIn: number,
    bytesOut: number,
    isPinned: boolean,
    isSpilled: boolean,
  ): void {
    let series = this.seriesBySerial[backend.serial];
    if (series === undefined) series = this.adopt(backend);
    series.record(this.now(), statusCode, latencyMs, bytesIn, bytesOut, isPinned, isSpilled);
  }

  recordProxyError(poolName: string, errorCode: string): void {
    this.proxyErrorCounter(poolName, errorCode).count++;
  }

  recordPick(poolName: string, atMs: number, keyHash: number, backendId: string, inflight: number, isPinned: boolean, isSpilled: boolean): void {
    this.requestSample.record(poolName, atMs, keyHash, backendId, inflight, isPinned, isSpilled);
  }

  private proxyErrorCounter(poolName: string, errorCode: string): ProxyErrorCount {
    let byCode = this.errorsByPool.get(poolName);
    if (byCode === undefined) {
      byCode = new Map();
      this.errorsByPool.set(poolName, byCode);
    }
    let counter = byCode.get(errorCode);
    if (counter === undefined) {
      counter = { pool: poolName, code: errorCode, count: 0, drained: 0 };
      byCode.set(errorCode, counter);
      this.everyError.push(counter);
    }
    return counter;
  }

  /**
   * Makes these backends known before their first request finishes, so their in-flight count goes
   * into deltas and their counters appear (at 0) in /metrics. Optional; recordRequest adopts too.
   */
  trackBackends(backends: Iterable<BackendKey>): void {
    for (const backend of backends) {
      const series = this.seriesBySerial[backend.serial];
      if (series === undefined || series.key !== backend) this.adopt(backend);
    }
  }

  /** The counters of (pool, id), created empty when unknown. */
  seriesOf(poolName: string, id: string): BackendSeries {
    let byId = this.seriesByPool.get(poolName);
    if (byId === undefined) {
      byId = new Map();
      this.seriesByPool.set(poolName, byId);
    }
    let series = byId.get(id);
    if (series === undefined) {
      series = new BackendSeries(poolName, id);
      byId.set(id, series);
      this.everySeries.push(series);
    }
    return series;
  }

  /** Every backend ever counted, in order of first appearance. */
  allSeries(): readonly BackendSeries[] {
    return this.everySeries;
  }

  /** Every (pool, code) proxy error count. */
  proxyErrors(): readonly ProxyErrorCount[] {
    return this.everyError;
  }

  /**
   * Requests in flight to (pool, id) summed over the workers' latest deltas, or undefined when no
   * worker has reported (a single-process node: read BackendState.inflight instead).
   */
  workerInflight(poolName: string, id: string): number | undefined {
    if (!this.hasWorkerReports) return undefined;
    const series = this.seriesByPool.get(poolName)?.get(id);
    return series === undefined ? 0 : series.sumWorkerInflight();
  }

  /** Forgets a worker's in-flight counts (call when it exits; its counters stay). */
  forgetWorker(workerId: number): void {
    for (const series of this.everySeries) series.workerInflight.delete(workerId);
  }

  /**
   * Traffic of every backend of the pool over the `seconds` seconds ending with the one holding
   * `nowMs` (that last second is still filling; in a cluster the last one or two seconds are
   * partial until the workers' deltas arrive, so a caller wanting whole seconds passes nowMs − 2000).
   * Every backend ever counted in the pool is listed, with zeros when it had no traffic.
   */
  window(poolName: string, seconds: number, nowMs: number = this.now()): BackendWindow[] {
    checkSeconds(seconds);
    const byId = this.seriesByPool.get(poolName);
    if (byId === undefined) return [];
    const toSecond = Math.floor(nowMs / 1000);
    const fromSecond = toSecond - seconds + 1;
    const counts = new Float64Array(COUNT_FIELDS);
    const amounts = new Float64Array(AMOUNT_FIELDS);
    const windows: BackendWindow[] = [];
    for (const series of byId.values()) {
      counts.fill(0);
      amounts.fill(0);
      series.sumSeconds(fromSecond, toSecond, counts, amounts);
      windows.push(describeWindow(series.id, counts, amounts));
    }
    return windows;
  }

  /** Requests per second of one backend, oldest first, `seconds` long, ending with the second holding `nowMs`. */
  series(poolName: string, backendId: string, seconds: number, nowMs: number = this.now()): number[] {
    checkSeconds(seconds);
    const series = this.seriesByPool.get(poolName)?.get(backendId);
    const toSecond = Math.floor(nowMs / 1000);
    const perSecond = new Array<number>(seconds);
    for (let i = 0; i < seconds; i++) perSecond[i] = series === undefined ? 0 : series.requestsIn(toSecond - seconds + 1 + i);
    return perSecond;
  }

  /** Everything recorded since the previous drain, for the primary; a worker calls this once a second. */
  drainDelta(): TelemetryDelta {
    const nowSecond = Math.floor(this.now() / 1000);
    const backends: BackendDelta[] = [];
    for (const series of this.everySeries) {
      const delta = drainSeries(series, this.lastDrainSecond, nowSecond);
      if (delta !== undefined) backends.push(delta);
    }
    this.lastDrainSecond = nowSecond;
    const proxyErrors: ProxyErrorDelta[] = [];
    for (const counter of this.everyError) {
      if (counter.count === counter.drained) continue;
      proxyErrors.push({ pool: counter.pool, code: counter.code, count: counter.count - counter.drained });
      counter.drained = counter.count;
    }
    this.sequence++;
    const samples = this.requestSample.drain();
    return { format: DELTA_FORMAT, source: this.source, sequence: this.sequence, backends, proxyErrors, samples };
  }

  /**
   * Folds a worker's delta into this Telemetry (the primary's). Throws EK_TELEMETRY_DELTA_REPLAYED
   * for a delta already merged (or an older one from the same source), and EK_TELEMETRY_DELTA_INVALID
   * for a malformed one; nothing is merged in either case.
   */
  mergeDelta(delta: TelemetryDelta, workerId: number): void {
    assertDelta(delta);
    const lastSequence = this.lastSequenceBySource.get(delta.source) ?? 0;
    if (delta.sequence <= lastSequence) {
      throw new TelemetryError(
        'EK_TELEMETRY_DELTA_REPLAYED',
        `telemetry delta ${delta.sequence} from ${delta.source} (worker ${workerId}) was already merged (last ${lastSequence}); each drainDelta() result must be merged once`,
      );
    }
    this.lastSequenceBySource.set(delta.source, delta.sequence);
    this.hasWorkerReports = true;
    for (const backend of delta.backends) mergeSeries(this.seriesOf(backend.pool, backend.id), backend, workerId);
    for (const error of delta.proxyErrors) this.proxyErrorCounter(error.pool, error.code).count += error.count;
    if (delta.samples !== undefined) this.requestSample.merge(delta.samples);
  }

  private adopt(backend: BackendKey): BackendSeries {
    const series = this.seriesOf(backend.poolName, backend.id);
    series.key = backend;
    this.seriesBySerial[backend.serial] = series;
    return series;
  }
}

function checkSeconds(seconds: number): void {
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > RING_SECONDS) {
    throw new TelemetryError('EK_TELEMETRY_WINDOW_INVALID', `a window of ${seconds} seconds: expected a whole number from 1 to ${RING_SECONDS} (the seconds telemetry keeps)`);
  }
}

function describeWindow(id: string, counts: Float64Array, amounts: Float64Array): BackendWindow {
  const byClass = {} as Record<StatusClass, number>;
  let requests = 0;
  for (let i = 0; i < STATUS_CLASSES.length; i++) {
    byClass[STATUS_CLASSES[i]] = counts[COUNT_CLASS + i];
    requests += counts[COUNT_CLASS + i];
  }
  return {
    id,
    requests,
    byClass,
    pinned: counts[COUNT_PINNED],
    spilled: counts[COUNT_SPILLED],
    bytesIn: amounts[AMOUNT_BYTES_IN],
    bytesOut: amounts[AMOUNT_BYTES_OUT],
    latencyMeanMs: requests === 0 ? 0 : amounts[AMOUNT_LATENCY_SUM_MS] / requests,
    latencyP50Ms: estimateQuantileMs(counts, COUNT_LATENCY, 0.5),
    latencyP95Ms: estimateQuantileMs(counts, COUNT_LATENCY, 0.95),
    latencyP99Ms: estimateQuantileMs(counts, COUNT_LATENCY, 0.99),
  };
}
