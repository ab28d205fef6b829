import type { Config, PoolConfig } from '../config/index.js';
import { BackendState, PoolMembers, type Picker } from '../balance/index.js';
import { CapacityQueue } from './capacity-queue.js';
import { DeadlineList } from './deadline-list.js';
import { ProxyConfigError } from './errors.js';
import { SampleKey } from './sample-key.js';
import { TrustedProxies } from './forwarded.js';
import { compileRoutes, type CompiledRoute } from './router.js';
import { UpstreamPool, originOf, upstreamKey } from './upstream.js';

// A snapshot is everything the data plane needs to serve requests under one config, compiled once
// (Envoy's rule: the data plane only ever receives whole new snapshots). Requests capture the
// snapshot current when they arrive and finish on it. What must survive a reload is carried over
// from the previous snapshot instead of rebuilt: BackendState (in-flight counts, health, slow
// start), PoolMembers (pickers and health/ hold on to it), the wait queue, and the undici pools
// with their warm keep-alive connections.

/** One pool under one snapshot. */
export interface PoolRuntime {
  readonly name: string;
  readonly config: PoolConfig;
  readonly members: PoolMembers;
  readonly picker: Picker;
  /** Indexed like members.backends at build time. */
  readonly upstreams: UpstreamPool[];
  /** Requests waiting for a backend slot; the same object across reloads. */
  readonly queue: CapacityQueue;
  /** What the request sample records of each request's key (telemetry/request-sample.ts). */
  readonly sampleKey: SampleKey;
}

export interface ProxySnapshot {
  readonly config: Config;
  readonly routes: CompiledRoute[];
  readonly pools: Map<string, PoolRuntime>;
  readonly trustedProxies: TrustedProxies;
  /** Every upstream pool this snapshot uses, by UpstreamPool.key. */
  readonly upstreamByKey: Map<string, UpstreamPool>;
  /**
   * The upstream of every live backend. Shared by all snapshots of a process and updated by
   * buildSnapshot: PoolMembers is shared too, so a retry on an older snapshot may pick a backend
   * added by a newer one and must still find its connection pool.
   */
  readonly upstreamOf: Map<BackendState, UpstreamPool>;
  /** Requests of this snapshot waiting for proxy.timeouts.request; undefined when it is 0 (off). */
  readonly requestDeadlines: DeadlineList | undefined;
}

/** Compiles a config into a snapshot, reusing backend state and upstream pools from `previous`. */
export function buildSnapshot(
  config: Config,
  previous: ProxySnapshot | undefined,
  makePicker: (pool: PoolConfig, members: PoolMembers) => Picker,
): ProxySnapshot {
  const poolNames = Object.keys(config.pools);
  for (const route of config.routes) {
    if (!(route.pool in config.pools)) {
      throw new ProxyConfigError('EK_PROXY_ROUTE_POOL_UNKNOWN', `route to pool ${JSON.stringify(route.pool)}: no such pool; expected one of ${poolNames.join(', ')}`);
    }
  }
  const connectMs = config.proxy.timeouts.connect;
  const keepAliveMs = config.proxy.timeouts.upstream_keepalive;
  const upstreamOf = previous?.upstreamOf ?? new Map<BackendState, UpstreamPool>();
  const upstreamByKey = new Map<string, UpstreamPool>();
  const pools = new Map<string, PoolRuntime>();
  const liveBackends = new Set<BackendState>();

  for (const name of poolNames) {
    const poolConfig = config.pools[name];
    const before = previous?.pools.get(name);
    const states = new Map<string, BackendState>();
    if (before !== undefined) for (const state of before.members.backends) states.set(state.id, state);

    const backends: BackendState[] = [];
    const upstreams: UpstreamPool[] = [];
    for (const backendConfig of poolConfig.backends) {
      let state = states.get(backendConfig.id);
      if (state === undefined) {
        state = new BackendState(name, backendConfig.id, backendConfig.url, backendConfig.weight);
      } else {
        // health/ owns effectiveWeight; when it is at rest (equal to the weight) follow the new
        // weight at once, otherwise health/ rescales it on its next tick.
        if (state.effectiveWeight === state.weight) state.effectiveWeight = backendConfig.weight;
        state.weight = backendConfig.weight;
        state.url = backendConfig.url;
      }
      state.isDraining = backendConfig.drain;
      state.maxInflight = backendConfig.max_inflight ?? poolConfig.max_inflight;
      backends.push(state);
      liveBackends.add(state);

      const key = upstreamKey(originOf(backendConfig.url), connectMs, keepAliveMs);
      let upstream = upstreamByKey.get(key) ?? previous?.upstreamByKey.get(key);
      if (upstream === undefined) upstream = new UpstreamPool(backendConfig.url, connectMs, keepAliveMs);
      upstreamByKey.set(key, upstream);
      upstreams.push(upstream);
    }

    let members: PoolMembers;
    if (before === undefined) members = new PoolMembers(name, backends);
    else {
      members = before.members;
      members.backends = backends;
      for (let i = 0; i < backends.length; i++) backends[i].index = i;
    }
    members.touch();

    const queue = before?.queue ?? new CapacityQueue(poolConfig.queue.size, poolConfig.queue.timeout);
    queue.size = poolConfig.queue.size;
    queue.timeoutMs = poolConfig.queue.timeout;

    pools.set(name, { name, config: poolConfig, members, picker: makePicker(poolConfig, members), upstreams, queue, sampleKey: new SampleKey(poolConfig) });
  }

  for (const pool of pools.values()) {
    for (let i = 0; i < pool.upstreams.length; i++) upstreamOf.set(pool.members.backends[i], pool.upstreams[i]);
  }
  for (const state of upstreamOf.keys()) if (!liveBackends.has(state)) upstreamOf.delete(state);

  return {
    config,
    routes: compileRoutes(config.routes, poolNames),
    pools,
    trustedProxies: new TrustedProxies(config.proxy.trusted_proxies),
    upstreamByKey,
    upstreamOf,
    requestDeadlines: config.proxy.timeouts.request > 0 ? new DeadlineList(config.proxy.timeouts.request) : undefined,
  };
}

/**
 * Closes the upstream pools `old` used that `next` no longer does, gracefully: undici lets the
 * requests already dispatched to them finish first.
 */
export function retireSnapshot(old: ProxySnapshot, next: ProxySnapshot | undefined): Promise<void> {
  const closing: Promise<void>[] = [];
  for (const [key, upstream] of old.upstreamByKey) {
    if (next?.upstreamByKey.get(key) !== upstream) closing.push(upstream.retire());
  }
  return Promise.all(closing).then(noop);
}

function noop(): void {}
