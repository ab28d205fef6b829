import type { SampledRequest } from '../../telemetry/index.js';

// Traffic to replay when a pool has no recorded requests (a new pool, a node that just started, a
// quiet night): the simulation should still say what the proposed balancer does with ordinary
// traffic. Sessions are drawn from a Zipf law, the usual shape of per-client activity: a few busy
// clients and a long tail. The exponent is mild on purpose (with 2,000 sessions and s = 0.8 the
// busiest session sends about 5% of the requests), so that the synthetic sample does not by itself
// make an unbounded sticky pool look skewed. Every draw comes from a seeded generator: the same
// change always gets the same simulation.

export const SYNTHETIC_REQUESTS = 10_000;
export const SYNTHETIC_SESSIONS = 2_000;
export const SYNTHETIC_ZIPF_EXPONENT = 0.8;
/** Requests arrive this far apart: 10,000 requests cover 5 minutes, well inside a persistence TTL. */
const SYNTHETIC_GAP_MS = 30;
/** The synthetic clock starts here (2024-05-01T10:00:00Z); only differences between times matter. */
const SYNTHETIC_START_MS = Date.UTC(2024, 4, 1, 10);

/** Mulberry32 (Tommy Ettinger): a 32-bit state, good enough spread for simulations, and seedable. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `count` requests of `sessions` Zipf-distributed clients, oldest first. Session k's key hash is
 * derived from k (distinct for distinct k); `backend` is "" and `inflight` 0 because nothing was
 * observed.
 */
export function synthesizeRequests(seed: number, count: number = SYNTHETIC_REQUESTS, sessions: number = SYNTHETIC_SESSIONS, exponent: number = SYNTHETIC_ZIPF_EXPONENT): SampledRequest[] {
  const random = seededRandom(seed);
  const cumulative = new Float64Array(sessions);
  let total = 0;
  for (let k = 1; k <= sessions; k++) {
    total += 1 / k ** exponent;
    cumulative[k - 1] = total;
  }
  const requests: SampledRequest[] = [];
  for (let i = 0; i < count; i++) {
    const session = lowerBound(cumulative, random() * total);
    requests.push({
      atMs: SYNTHETIC_START_MS + i * SYNTHETIC_GAP_MS,
      keyHash: sessionKeyHash(session),
      backend: '',
      inflight: 0,
      isPinned: false,
      isSpilled: false,
    });
  }
  return requests;
}

/** A distinct 32-bit key per session index (an odd multiplier is a bijection modulo 2^32). */
function sessionKeyHash(session: number): number {
  return Math.imul(session + 1, 0x9e3779b1) >>> 0;
}

/** First index whose cumulative weight is above `target`. */
function lowerBound(cumulative: Float64Array, target: number): number {
  let low = 0;
  let high = cumulative.length - 1;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (cumulative[middle] > target) high = middle;
    else low = middle + 1;
  }
  return low;
}
