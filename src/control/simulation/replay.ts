import type { IncomingHttpHeaders } from 'node:http';
import {
  BackendState,
  PoolMembers,
  SessionCookieSigner,
  TablePersistencePicker,
  acquire,
  createPicker,
  release,
  resetOutcome,
  type PickOutcome,
  type PickRequest,
} from '../../balance/index.js';
import { DEFAULT_PERSISTENCE_COOKIE, type PoolConfig } from '../../config/index.js';
import { shouldPanic } from '../../health/index.js';
import { sampleKeySpecOf, type SampledRequest } from '../../telemetry/index.js';
import { seededRandom } from './synthetic-sample.js';

// Replays sampled requests through a real balancer: createPicker from balance/, the same code the
// proxy runs, built from one pool's config (weights, drain, algorithm, persistence, bound) on fresh
// BackendStates that carry the live node's health.
//
// In-flight load: each replayed request holds its backend until `concurrency` later requests have
// started (a sliding window of K), so a pick always sees K − 1 requests in flight, as the proxy does
// when K requests are in flight on average. That is what bounded loads and least-inflight react to.
// K is the average in-flight count the sample observed (simulate-impact.ts).
//
// Sessions: the sample knows a client only by the hash of its key. The replay turns each hash into a
// key the replayed balancer reads (a header value, a source address, a path, a cookie), so the same
// client comes back with the same key. For cookie persistence the replay plays the client's browser:
// it keeps the cookie the replayed balancer last set for that client and sends it again.
//
// Two ways to start: with `keepsLivePins`, a client the live balancer had pinned arrives with a pin
// to that same backend (its cookie, or its stick-table entry), as right after the change is applied;
// without, every client's first request is a fresh pick, as once every session has been re-made under
// the proposed config (after one persistence TTL). The latter is the share the change settles at.

/** What the simulation reads of a live backend: BackendState satisfies it. */
export interface LiveBackendView {
  readonly poolName: string;
  readonly id: string;
  readonly weight: number;
  readonly effectiveWeight: number;
  readonly isHealthy: boolean;
  readonly isDraining: boolean;
}

/** The replay signs its own cookies with this; they never leave the process. */
const SIMULATION_COOKIE_SECRET = 'evenkeel impact simulation (not a secret)';

export interface ReplayInput {
  poolName: string;
  pool: PoolConfig;
  /** Oldest first. */
  requests: readonly SampledRequest[];
  /** Requests held in flight at once (K). */
  concurrency: number;
  keepsLivePins: boolean;
  /** The live node's backends of this pool, by id, for health and slow start. */
  live: ReadonlyMap<string, LiveBackendView> | undefined;
  seed: number;
}

export interface PoolReplay {
  members: PoolMembers;
  /** Requests placed on each backend, indexed like members.backends. */
  counts: Float64Array;
  /** Requests placed in all (0 when no backend could take any). */
  placed: number;
}

/**
 * The pool's backends as the proposed (or live) config makes them, with the live health: an
 * unhealthy backend stays unhealthy, a slow-starting one keeps its ramp (effective/configured).
 */
export function buildMembers(poolName: string, pool: PoolConfig, live: ReadonlyMap<string, LiveBackendView> | undefined): PoolMembers {
  const backends: BackendState[] = [];
  for (const config of pool.backends) {
    const state = new BackendState(poolName, config.id, config.url, config.weight);
    state.isDraining = config.drain;
    state.maxInflight = config.max_inflight ?? pool.max_inflight;
    const view = live?.get(config.id);
    if (view !== undefined) {
      state.isHealthy = view.isHealthy;
      // A live drain or failure zeroes the effective weight without saying anything of the ramp.
      const ramp = view.isHealthy && !view.isDraining && view.weight > 0 ? view.effectiveWeight / view.weight : 1;
      state.effectiveWeight = config.weight * ramp;
    }
    backends.push(state);
  }
  const members = new PoolMembers(poolName, backends);
  members.isPanicking = shouldPanic(members, pool.panic_threshold);
  return members;
}

/** Replays `requests` through a fresh picker for `pool`; see the top of this file. */
export function replayPool(input: ReplayInput): PoolReplay {
  const { poolName, pool, requests } = input;
  const members = buildMembers(poolName, pool, input.live);
  const counts = new Float64Array(members.backends.length);
  const clock = { nowMs: requests.length > 0 ? requests[0].atMs : 0 };
  const picker = createPicker(pool, members, { cookieSecret: SIMULATION_COOKIE_SECRET, now: () => clock.nowMs, random: seededRandom(input.seed) });
  const spec = sampleKeySpecOf(pool);
  const isCookiePersistence = pool.persistence.by === 'cookie';
  const cookieName = pool.persistence.name ?? DEFAULT_PERSISTENCE_COOKIE;
  const ttlSeconds = Math.max(1, Math.floor(pool.persistence.ttl / 1000));
  const signer = isCookiePersistence ? new SessionCookieSigner(SIMULATION_COOKIE_SECRET, poolName) : undefined;
  const stickTable = picker instanceof TablePersistencePicker ? picker.stickTable : undefined;
  const byId = new Map<string, BackendState>();
  for (const backend of members.backends) byId.set(backend.id, backend);

  /** The cookie value each client (by key hash) holds now. */
  const cookieByClient = new Map<number, string>();
  const seenClients = new Set<number>();
  const concurrency = Math.max(1, Math.floor(input.concurrency));
  const held: BackendState[] = [];
  let heldStart = 0;
  const releaseOldest = () => {
    release(members, held[heldStart]);
    heldStart++;
  };
  const outcome: PickOutcome = { isPinned: false, isSpilled: false, setCookie: undefined };
  let placed = 0;

  for (let i = 0; i < requests.length; i++) {
    const sampled = requests[i];
    clock.nowMs = sampled.atMs;
    const hasKey = sampled.keyHash >= 0;
    const client = hasKey ? `k${sampled.keyHash}` : `u${i}`;
    const headers: IncomingHttpHeaders = {};
    const request: PickRequest = { sourceIp: client, path: `/${client}`, headers };
    const livePin = input.keepsLivePins && hasKey && !seenClients.has(sampled.keyHash) && (sampled.isPinned || sampled.isSpilled) ? byId.get(sampled.backend) : undefined;
    if (hasKey) seenClients.add(sampled.keyHash);

    if (isCookiePersistence) {
      let cookie = hasKey ? cookieByClient.get(sampled.keyHash) : undefined;
      if (cookie === undefined && livePin !== undefined) {
        cookie = (signer as SessionCookieSigner).sign(livePin.id, Math.floor(clock.nowMs / 1000) + ttlSeconds);
        cookieByClient.set(sampled.keyHash, cookie);
      }
      if (cookie !== undefined) headers.cookie = `${cookieName}=${cookie}`;
    } else if (hasKey && spec.kind === 'header') {
      headers[spec.name] = client;
    } else if (hasKey && spec.kind === 'cookie') {
      headers.cookie = `${spec.name}=${client}`;
    }
    // A stick table keys on the header value or the source address: both are `client` here.
    if (livePin !== undefined && stickTable !== undefined) stickTable.assign(client, livePin, clock.nowMs);

    if (held.length - heldStart === concurrency) releaseOldest();
    resetOutcome(outcome);
    let chosen = picker.pick(request, outcome, undefined);
    // Every candidate is at max_inflight: the request waits in the queue until the oldest finishes.
    while (chosen === undefined && held.length > heldStart) {
      releaseOldest();
      resetOutcome(outcome);
      chosen = picker.pick(request, outcome, undefined);
    }
    if (held.length > 4 * concurrency && heldStart > 2 * concurrency) {
      held.splice(0, heldStart);
      heldStart = 0;
    }
    if (chosen === undefined) continue;
    acquire(members, chosen);
    held.push(chosen);
    counts[chosen.index]++;
    placed++;
    if (isCookiePersistence && hasKey && outcome.setCookie !== undefined) {
      const setCookie = outcome.setCookie;
      cookieByClient.set(sampled.keyHash, setCookie.slice(cookieName.length + 1, setCookie.indexOf(';')));
    }
  }
  return { members, counts, placed };
}
