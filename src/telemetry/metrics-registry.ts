import { Registry, collectDefaultMetrics } from 'prom-client';
import type { PoolMembers } from '../balance/index.js';
import {
  AMOUNT_BYTES_IN,
  AMOUNT_BYTES_OUT,
  AMOUNT_LATENCY_SUM_MS,
  COUNT_CLASS,
  COUNT_LATENCY,
  COUNT_PINNED,
  COUNT_SPILLED,
  type BackendSeries,
} from './backend-series.js';
import { LATENCY_BOUNDS_MS, STATUS_CLASSES } from './buckets.js';
import { CollectedFamily, type FamilySample } from './collected-family.js';
import type { Telemetry } from './telemetry.js';

/** What the registry needs of each pool for the gauges: a PoolRuntime from proxy/ satisfies it. */
export interface MetricsPoolSource {
  readonly members: PoolMembers;
}

/** `le` labels of the duration histogram, in seconds as Prometheus convention wants. */
const LE_LABELS = [...LATENCY_BOUNDS_MS.map((ms) => String(ms / 1000)), '+Inf'];

/**
 * A prom-client Registry exposing evenkeel's metrics (listed in docs/metrics.md) plus prom-client's
 * default process metrics. Counters are read from `telemetry` at scrape time; health, weights and
 * panic from `state()`. In-flight comes from the workers' deltas when the node has workers, else
 * from BackendState.inflight.
 */
export function createMetricsRegistry(telemetry: Telemetry, state: () => Iterable<MetricsPoolSource>): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  // Counters of configured backends appear at 0 before their first request, so rate() has a start.
  const countedSeries = (): readonly BackendSeries[] => {
    for (const pool of state()) {
      for (const backend of pool.members.backends) telemetry.seriesOf(backend.poolName, backend.id);
    }
    return telemetry.allSeries();
  };
  const perBackend = (read: (series: BackendSeries) => number) => (): FamilySample[] =>
    countedSeries().map((series) => ({ labels: { pool: series.poolName, backend: series.id }, value: read(series) }));
  const perLiveBackend = (read: (backend: PoolMembers['backends'][number]) => number) => (): FamilySample[] => {
    const samples: FamilySample[] = [];
    for (const pool of state()) {
      for (const backend of pool.members.backends) samples.push({ labels: { pool: backend.poolName, backend: backend.id }, value: read(backend) });
    }
    return samples;
  };

  const families = [
    new CollectedFamily('evenkeel_backend_requests_total', 'Requests answered through the backend, by status class of the response the client got.', 'counter', () => {
      const samples: FamilySample[] = [];
      for (const series of countedSeries()) {
        for (let i = 0; i < STATUS_CLASSES.length; i++) {
          samples.push({ labels: { pool: series.poolName, backend: series.id, code_class: STATUS_CLASSES[i] }, value: series.totalCounts[COUNT_CLASS + i] });
        }
      }
      return samples;
    }),
    new CollectedFamily('evenkeel_backend_request_duration_seconds', 'Time from accepting the request to the last response byte, per backend.', 'histogram', () => {
      const samples: FamilySample[] = [];
      const name = 'evenkeel_backend_request_duration_seconds';
      for (const series of countedSeries()) {
        const labels = { pool: series.poolName, backend: series.id };
        let cumulative = 0;
        for (let i = 0; i < LE_LABELS.length; i++) {
          cumulative += series.totalCounts[COUNT_LATENCY + i];
          samples.push({ metricName: `${name}_bucket`, labels: { ...labels, le: LE_LABELS[i] }, value: cumulative });
        }
        samples.push({ metricName: `${name}_sum`, labels, value: series.totalAmounts[AMOUNT_LATENCY_SUM_MS] / 1000 });
        samples.push({ metricName: `${name}_count`, labels, value: cumulative });
      }
      return samples;
    }),
    new CollectedFamily('evenkeel_backend_bytes_received_total', 'Request body bytes received from clients for the backend.', 'counter', perBackend((s) => s.totalAmounts[AMOUNT_BYTES_IN])),
    new CollectedFamily('evenkeel_backend_bytes_sent_total', 'Response body bytes sent to clients from the backend.', 'counter', perBackend((s) => s.totalAmounts[AMOUNT_BYTES_OUT])),
    new CollectedFamily('evenkeel_backend_persistence_pinned_total', 'Requests sent to the backend because session persistence chose it.', 'counter', perBackend((s) => s.totalCounts[COUNT_PINNED])),
    new CollectedFamily(
      'evenkeel_backend_persistence_spilled_total',
      'Requests sent to the backend although persistence or hashing wanted another one (over its load bound, unhealthy or draining).',
      'counter',
      perBackend((s) => s.totalCounts[COUNT_SPILLED]),
    ),
    new CollectedFamily('evenkeel_backend_inflight', 'Requests in flight to the backend from this node.', 'gauge', perLiveBackend((b) => telemetry.workerInflight(b.poolName, b.id) ?? b.inflight)),
    new CollectedFamily('evenkeel_backend_healthy', '1 when active checks and outlier detection consider the backend healthy, else 0.', 'gauge', perLiveBackend((b) => (b.isHealthy ? 1 : 0))),
    new CollectedFamily(
      'evenkeel_backend_health_downs_total',
      'Times the backend fell: active checks declared it down, or an outlier ejection began while they still passed; the flapping rule counts them over a window.',
      'counter',
      perLiveBackend((b) => b.healthDowns),
    ),
    new CollectedFamily('evenkeel_backend_draining', '1 when the backend is draining (takes no new requests), else 0.', 'gauge', perLiveBackend((b) => (b.isDraining ? 1 : 0))),
    new CollectedFamily('evenkeel_backend_weight', 'Configured weight of the backend.', 'gauge', perLiveBackend((b) => b.weight)),
    new CollectedFamily('evenkeel_backend_effective_weight', 'Weight the picker uses: configured weight times slow-start ramp, 0 when unhealthy or draining.', 'gauge', perLiveBackend((b) => b.effectiveWeight)),
    new CollectedFamily('evenkeel_pool_panic', '1 when too few backends of the pool are healthy and it uses every non-draining backend, else 0.', 'gauge', () => {
      const samples: FamilySample[] = [];
      for (const pool of state()) samples.push({ labels: { pool: pool.members.name }, value: pool.members.isPanicking ? 1 : 0 });
      return samples;
    }),
    new CollectedFamily('evenkeel_proxy_errors_total', 'Requests the proxy answered itself without a backend, by x-evenkeel-error code.', 'counter', () =>
      telemetry.proxyErrors().map((error) => ({ labels: { pool: error.pool, code: error.code }, value: error.count })),
    ),
  ];
  for (const family of families) registry.registerMetric(family.asMetric());
  return registry;
}
