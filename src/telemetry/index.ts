// The telemetry/ room: per-backend counters, rolling windows, cluster aggregation, the Prometheus
// registry and the access log. Other rooms import only from here.
export type { AccessLog, AccessLogEntry, BackendKey, TelemetrySink } from './sink.js';
export { Telemetry, type BackendWindow, type ProxyErrorCount, type TelemetryOptions } from './telemetry.js';
export { RING_SECONDS, secondImpactOf, type BackendSeries, type SecondImpact } from './backend-series.js';
/** The layout of a series's count and amount records, for readers summing histograms across backends (monitor: a pool's latency). */
export { AMOUNT_FIELDS, COUNT_FIELDS, COUNT_LATENCY } from './backend-series.js';
export { LATENCY_BOUNDS_MS, STATUS_CLASSES, countSlowerThanMs, estimateQuantileMs, type StatusClass } from './buckets.js';
export type { BackendDelta, ProxyErrorDelta, SecondDelta, TelemetryDelta } from './delta.js';
export { TelemetryError, type TelemetryErrorCode } from './errors.js';
export { createMetricsRegistry, type MetricsPoolSource } from './metrics-registry.js';
export { createAccessLog, type AccessLogOptions, type FlushableAccessLog } from './access-log.js';
export {
  NO_SAMPLE_KEY,
  PoolRequestRing,
  REQUEST_SAMPLE_CAPACITY,
  RequestSample,
  SAMPLE_DELTA_LIMIT,
  sampleKeySpecOf,
  type KeyConcentration,
  type PoolSampleDelta,
  type SampleKeyKind,
  type SampleKeySpec,
  type SampledPool,
  type SampledRequest,
} from './request-sample.js';
export { FleetKeyWindow, PUBLISHED_KEYS_PER_SECOND, type SecondKeys } from './fleet-key-window.js';
export { FLEET_SECOND_FORMAT, mergeFleetSecond, readFleetKeys, readFleetInflight, readFleetSeconds, type FleetSecond, type FleetSecondBackend } from './fleet-second.js';
