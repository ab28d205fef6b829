import { selectableWeight, type PoolMembers } from '../balance/index.js';
import type { Telemetry } from '../telemetry/index.js';

/** What the admin API needs of each pool: a PoolRuntime from proxy/ satisfies it. */
export interface AdminPoolSource {
  readonly name: string;
  readonly config: { readonly algorithm: string };
  readonly members: PoolMembers;
}

/** Seconds of traffic behind `observedShare` and `requests` in /api/v1/pools. */
export const SHARE_WINDOW_SECONDS = 30;

export interface BackendStatus {
  id: string;
  url: string;
  weight: number;
  effectiveWeight: number;
  /** This backend's part of the pool's selectable weight (panic and draining taken into account); 0..1. */
  expectedShare: number;
  /** This backend's part of the pool's requests over the window; 0..1, 0 when the pool had none. */
  observedShare: number;
  /** Requests over the window. */
  requests: number;
  inflight: number;
  isHealthy: boolean;
  isDraining: boolean;
}

export interface PoolStatus {
  name: string;
  algorithm: string;
  isPanicking: boolean;
  /** Requests to the pool's current backends over the window. */
  requests: number;
  backends: BackendStatus[];
}

/** The body of GET /api/v1/pools. */
export interface PoolsStatus {
  windowSeconds: number;
  pools: PoolStatus[];
}

/**
 * Expected versus observed shares of every pool: the view an operator checks first when traffic
 * looks uneven. Expected share follows the picker (selectableWeight); observed share counts the
 * requests of the last SHARE_WINDOW_SECONDS seconds among the pool's current backends.
 */
export function describePools(pools: Iterable<AdminPoolSource>, telemetry: Telemetry, nowMs?: number): PoolsStatus {
  const described: PoolStatus[] = [];
  for (const pool of pools) {
    const members = pool.members;
    const requestsById = new Map<string, number>();
    for (const window of telemetry.window(pool.name, SHARE_WINDOW_SECONDS, nowMs)) requestsById.set(window.id, window.requests);

    let weightSum = 0;
    let requestSum = 0;
    for (const backend of members.backends) {
      weightSum += selectableWeight(members, backend);
      requestSum += requestsById.get(backend.id) ?? 0;
    }
    const backends: BackendStatus[] = members.backends.map((backend) => {
      const requests = requestsById.get(backend.id) ?? 0;
      return {
        id: backend.id,
        url: backend.url,
        weight: backend.weight,
        effectiveWeight: backend.effectiveWeight,
        expectedShare: weightSum === 0 ? 0 : selectableWeight(members, backend) / weightSum,
        observedShare: requestSum === 0 ? 0 : requests / requestSum,
        requests,
        inflight: telemetry.workerInflight(pool.name, backend.id) ?? backend.inflight,
        isHealthy: backend.isHealthy,
        isDraining: backend.isDraining,
      };
    });
    described.push({ name: pool.name, algorithm: pool.config.algorithm, isPanicking: members.isPanicking, requests: requestSum, backends });
  }
  return { windowSeconds: SHARE_WINDOW_SECONDS, pools: described };
}
