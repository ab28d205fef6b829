import { selectableWeight } from '../balance/index.js';
import type { Alert } from '../monitor/index.js';
import type { Telemetry } from '../telemetry/index.js';
import type { AdminMonitorSource } from './alert-routes.js';
import type { AdminPoolSource } from './pools-view.js';

/** Seconds of traffic behind each /api/v1/stats sample: short, so the 1 s stream shows a change within seconds. */
export const STATS_WINDOW_SECONDS = 10;

export type BackendHealthState = 'healthy' | 'unhealthy' | 'draining';

export interface BackendStats {
  backend: string;
  effectiveWeight: number;
  /** Part of the pool's selectable weight; 0..1. */
  expectedShare: number;
  /** Part of the pool's requests over the window; 0..1. */
  observedShare: number;
  requests: number;
  /** Requests per second over the window. */
  rps: number;
  inflight: number;
  p95Ms: number;
  /** Requests that went where a session was pinned, and those spilled off a full pinned backend. */
  pinned: number;
  /** pinned / requests; 0..1, 0 without requests. */
  pinnedShare: number;
  spilled: number;
  health: BackendHealthState;
}

/** The body of GET /api/v1/stats and of each event of /api/v1/stats/stream. */
export interface LiveStats {
  at: number;
  windowSeconds: number;
  /** The node's request rate and the monitor's baseline (null while it warms up or without a monitor). */
  traffic: { rps: number; baselineRps: number | null };
  /** Firing alerts, most severe first (what `evenkeel status` prints under the table). */
  alerts: readonly Alert[];
  pools: { pool: string; backends: BackendStats[] }[];
}

/**
 * Per-backend live stats of every pool over the last STATS_WINDOW_SECONDS seconds, with the monitor's
 * firing alerts and traffic baseline when the node has a monitor.
 */
export function describeStats(pools: Iterable<AdminPoolSource>, telemetry: Telemetry, monitor?: AdminMonitorSource, nowMs: number = Date.now()): LiveStats {
  let totalRequests = 0;
  const described: LiveStats['pools'] = [];
  for (const pool of pools) {
    const windows = new Map(telemetry.window(pool.name, STATS_WINDOW_SECONDS, nowMs).map((window) => [window.id, window]));
    const members = pool.members;
    let weightSum = 0;
    let requestSum = 0;
    for (const backend of members.backends) {
      weightSum += selectableWeight(members, backend);
      requestSum += windows.get(backend.id)?.requests ?? 0;
    }
    const backends = members.backends.map((backend): BackendStats => {
      const window = windows.get(backend.id);
      const requests = window?.requests ?? 0;
      const pinned = window?.pinned ?? 0;
      return {
        backend: backend.id,
        effectiveWeight: backend.effectiveWeight,
        expectedShare: weightSum === 0 ? 0 : selectableWeight(members, backend) / weightSum,
        observedShare: requestSum === 0 ? 0 : requests / requestSum,
        requests,
        rps: requests / STATS_WINDOW_SECONDS,
        inflight: telemetry.workerInflight(pool.name, backend.id) ?? backend.inflight,
        p95Ms: window?.latencyP95Ms ?? 0,
        pinned,
        pinnedShare: requests === 0 ? 0 : pinned / requests,
        spilled: window?.spilled ?? 0,
        health: backend.isDraining ? 'draining' : backend.isHealthy ? 'healthy' : 'unhealthy',
      };
    });
    totalRequests += requestSum;
    described.push({ pool: pool.name, backends });
  }
  const traffic = monitor?.traffic();
  return {
    at: nowMs,
    windowSeconds: STATS_WINDOW_SECONDS,
    // The monitor's rate is over its own traffic window; without a monitor, this window's.
    traffic: { rps: traffic?.rps ?? totalRequests / STATS_WINDOW_SECONDS, baselineRps: traffic?.baselineRps ?? null },
    alerts: (monitor?.alerts() ?? []).filter((alert) => alert.state === 'firing'),
    pools: described,
  };
}
