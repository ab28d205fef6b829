// Shared stand-ins for balance/ tests: pool members, requests, outcomes, a seeded random source and a
// pool config literal (the config room's parsed PoolConfig, with defaults filled in by hand).
import { BackendState, PoolMembers, createPicker, type PickOutcome, type PickRequest } from '../../src/balance/index.js';
import { seededRandom } from '../../src/control/index.js';

export { seededRandom };

export type PoolConfigInput = Parameters<typeof createPicker>[0];

/** A pool whose backends are named a, b, c, ... with the given weights. */
export function makeMembers(weights: readonly number[], poolName = 'web'): PoolMembers {
  const backends = weights.map((weight, i) => new BackendState(poolName, String.fromCharCode(97 + i), `http://127.0.0.1:${8000 + i}`, weight));
  return new PoolMembers(poolName, backends);
}

/** Backends named web-1 ... web-n, the way real configs name them. */
export function makeNamedMembers(count: number, weight = 100, poolName = 'web'): PoolMembers {
  const backends = Array.from({ length: count }, (_, i) => new BackendState(poolName, `web-${i + 1}`, `http://127.0.0.1:${8000 + i}`, weight));
  return new PoolMembers(poolName, backends);
}

export function makeRequest(sourceIp = '10.0.0.1', path = '/', headers: PickRequest['headers'] = {}): PickRequest {
  return { sourceIp, path, headers };
}

export function makeOutcome(): PickOutcome {
  return { isPinned: false, isSpilled: false, setCookie: undefined };
}

type PoolOverrides = {
  algorithm?: PoolConfigInput['algorithm'];
  hash?: Partial<NonNullable<PoolConfigInput['hash']>>;
  persistence?: Partial<PoolConfigInput['persistence']>;
};

/** A parsed pool config with the schema's defaults, as the config room would produce. */
export function makePoolConfig(overrides: PoolOverrides = {}): PoolConfigInput {
  return {
    algorithm: overrides.algorithm ?? 'round-robin',
    hash: overrides.hash ? { by: 'source_ip', table: 'maglev', bound: 1.25, ...overrides.hash } : undefined,
    persistence: { by: 'none', ttl: 30 * 60_000, bound: 1.25, ...overrides.persistence },
    health: { interval: 2000, timeout: 1000, rise: 2, fall: 3, expected_status: '200-399' },
    outlier: { consecutive_failures: 5, base_ejection: 30_000, max_ejection: 300_000, max_ejected_share: 0.5 },
    slow_start: 30_000,
    panic_threshold: 0.5,
    max_inflight: 0,
    queue: { size: 100, timeout: 5000 },
    retry: { attempts: 1 },
    backends: [],
  } as PoolConfigInput;
}

/** Counts picks per backend id over `count` picks without holding any request in flight. */
export function countIdlePicks(pick: (i: number) => BackendState | undefined, count: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const backend = pick(i);
    if (backend === undefined) continue;
    counts.set(backend.id, (counts.get(backend.id) ?? 0) + 1);
  }
  return counts;
}
