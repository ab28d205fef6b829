import { selectableWeight } from '../balance/index.js';
import type { Telemetry } from '../telemetry/index.js';
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
  inflight: number;
  p95Ms: number;
  /** Requests that went where a session was pinned, and those spilled off a full pinned backend. */
  pinned: number;
  spilled: number;
  health: BackendHealthState;
}

/** The body of GET /api/v1/stats and of each event of /api/v1/stats/stream. */
export interface LiveStats {
  at: number;
  windowSeconds: number;
  pools: { pool: string; backends: BackendStats[] }[];
}

/** Per-backend live stats of every pool over the last STATS_WINDOW_SECONDS seconds. */
export function describeStats(pools: Iterable<AdminPoolSource>, telemetry: Telemetry, nowMs: number = Date.now()): LiveStats {
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
      return {
        backend: backend.id,
        effectiveWeight: backend.effectiveWeight,
        expectedShare: weightSum === 0 ? 0 : selectableWeight(members, backend) / weightSum,
        observedShare: requestSum === 0 ? 0 : requests / requestSum,
        requests,
        inflight: telemetry.workerInflight(pool.name, backend.id) ?? backend.inflight,
        p95Ms: window?.latencyP95Ms ?? 0,
        pinned: window?.pinned ?? 0,
        spilled: window?.spilled ?? 0,
        health: backend.isDraining ? 'draining' : backend.isHealthy ? 'healthy' : 'unhealthy',
      };
    });
    described.push({ pool: pool.name, backends });
  }
  return { at: nowMs, windowSeconds: STATS_WINDOW_SECONDS, pools: described };
}
