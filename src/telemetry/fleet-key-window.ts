import { RING_SECONDS } from './backend-series.js';
import type { KeyConcentration } from './request-sample.js';

// The persistence rule of a fleet's monitor leader (docs/fleet.md, "What the rules see"). A node's
// request sample stays on the node; with each published second it sends, per pool, how many requests
// its sample held for that second, how many were pinned, and its busiest keys (hashed) with their
// counts. The leader adds those up per second over every node, so a handful of keys carrying a large
// share of a pool is seen wherever the layer-4 balancer sent those clients, not only when they reach
// the leader. A key counts on a node only in the seconds it was among that node's busiest; the keys
// that carry a large share are among them in every second they matter.

/** How many of its busiest keys per pool a node publishes with each second. */
export const PUBLISHED_KEYS_PER_SECOND = 32;

/** One pool's sampled requests of one second on one node. JSON-serialisable. */
export interface SecondKeys {
  readonly pool: string;
  readonly requests: number;
  readonly pinned: number;
  /** Hashes of the busiest keys, busiest first. */
  readonly keys: number[];
  /** Their request counts, in the same order. */
  readonly counts: number[];
}

interface PoolSecond {
  requests: number;
  pinned: number;
  readonly counts: Map<number, number>;
}

/** Every node's published key counts, summed per pool and second, for the last RING_SECONDS seconds. */
export class FleetKeyWindow {
  private readonly pools = new Map<string, Map<number, PoolSecond>>();

  /**
   * Adds one node's keys of `second` (epoch seconds). `servedRequests` is how many requests of the
   * pool the node counted in that second: a node with `workers` samples at most 1,000 requests per
   * worker and second, so its keys are scaled up to what it served, and a fleet mixing such nodes
   * with single processes weighs every node's clients by their traffic.
   */
  add(second: number, keys: SecondKeys, servedRequests = 0): void {
    const scale = keys.requests > 0 && servedRequests > keys.requests ? servedRequests / keys.requests : 1;
    let seconds = this.pools.get(keys.pool);
    if (seconds === undefined) {
      seconds = new Map();
      this.pools.set(keys.pool, seconds);
    }
    let entry = seconds.get(second);
    if (entry === undefined) {
      entry = { requests: 0, pinned: 0, counts: new Map() };
      seconds.set(second, entry);
      this.prune(seconds, second);
    }
    entry.requests += keys.requests * scale;
    entry.pinned += keys.pinned * scale;
    for (let i = 0; i < keys.keys.length; i++) entry.counts.set(keys.keys[i]!, (entry.counts.get(keys.keys[i]!) ?? 0) + keys.counts[i]! * scale);
  }

  /**
   * The pool's sampled requests in the whole seconds within [sinceMs, untilMs], and the counts of its
   * `topKeys` busiest keys, largest first. distinctKeys counts only keys that were among some node's
   * busiest in some second.
   */
  keyConcentration(pool: string, sinceMs: number, untilMs: number, topKeys: number): KeyConcentration {
    const seconds = this.pools.get(pool);
    let requests = 0;
    let pinned = 0;
    const totals = new Map<number, number>();
    if (seconds !== undefined) {
      for (const [second, entry] of seconds) {
        if (second * 1000 < sinceMs || (second + 1) * 1000 > untilMs + 1) continue;
        requests += entry.requests;
        pinned += entry.pinned;
        for (const [key, count] of entry.counts) totals.set(key, (totals.get(key) ?? 0) + count);
      }
    }
    const topKeyRequests = [...totals.values()].sort((a, b) => b - a).slice(0, Math.max(0, topKeys)).map(Math.round);
    return { requests: Math.round(requests), pinned: Math.round(pinned), topKeyRequests, distinctKeys: totals.size };
  }

  /** Forgets the seconds of `seconds` that are RING_SECONDS or more before `newest`. */
  private prune(seconds: Map<number, PoolSecond>, newest: number): void {
    for (const second of seconds.keys()) if (second <= newest - RING_SECONDS) seconds.delete(second);
  }
}
