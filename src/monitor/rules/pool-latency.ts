import { COUNT_FIELDS, COUNT_LATENCY, AMOUNT_FIELDS, estimateQuantileMs, type Telemetry } from '../../telemetry/index.js';

// A pool's latency quantiles cannot be derived from its backends' quantiles; they need the pool's
// histogram, the sum of its backends' per-second histograms over the window.

export interface PoolLatency {
  readonly requests: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
}

export function poolLatencyOf(telemetry: Telemetry, poolName: string, seconds: number, nowMs: number): PoolLatency {
  const counts = new Float64Array(COUNT_FIELDS);
  const amounts = new Float64Array(AMOUNT_FIELDS);
  const toSecond = Math.floor(nowMs / 1000);
  for (const series of telemetry.allSeries()) {
    if (series.poolName === poolName) series.sumSeconds(toSecond - seconds + 1, toSecond, counts, amounts);
  }
  let requests = 0;
  for (let i = COUNT_LATENCY; i < COUNT_FIELDS; i++) requests += counts[i];
  return { requests, p95Ms: estimateQuantileMs(counts, COUNT_LATENCY, 0.95), p99Ms: estimateQuantileMs(counts, COUNT_LATENCY, 0.99) };
}
