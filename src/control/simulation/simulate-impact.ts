import { selectableWeight, type PoolMembers } from '../../balance/index.js';
import type { Config } from '../../config/index.js';
import type { SampledPool, SampledRequest } from '../../telemetry/index.js';
import type { ImpactSimulation, SimulatedBackendShare, SimulatedPool } from '../changes/change-request.js';
import { SimulationError } from './errors.js';
import { buildMembers, replayPool, type LiveBackendView, type PoolReplay } from './replay.js';
import { synthesizeRequests } from './synthetic-sample.js';

// Impact simulation (docs/changes.md, "Impact simulation"): before anyone approves a change, replay
// the pool's recent requests through the balancer the change would build and say where they would
// go. A backend is flagged when its predicted share is more than maxShareRatio times
//   1. its weight share under the proposed config (the rule: the balancer would send it more
//      than its weights say, e.g. sticky sessions without a bound piling up), or
//   2. its weight share under the live config (the postmortem's rule: a script that quadruples two
//      weights makes the weights themselves the problem, and rule 1 alone would call that fair).

export const DEFAULT_MAX_SHARE_RATIO = 1.5;
/** K when the pool has no recorded requests to measure it from. */
export const DEFAULT_SIMULATION_CONCURRENCY = 16;
const MAX_SIMULATION_CONCURRENCY = 1024;
/** Seed of every random choice (p2c, random, keyless hash picks, the synthetic sample). */
export const SIMULATION_SEED = 0x5eed;
/**
 * Only requests this recent are replayed: on a quiet node the ring of 10,000 can reach back hours,
 * to traffic and backends that are no longer what a change meets.
 */
export const MAX_SAMPLE_AGE_MS = 15 * 60 * 1000;

export interface SimulateImpactOptions {
  /**
   * Must be above 1. By default the LIVE config's policy.simulation.max_share_ratio: a change must
   * not be able to loosen the check it is judged by.
   */
  maxShareRatio?: number;
  /** The live node's backends (BackendState from the snapshot's pools), for health and slow start. */
  liveBackends?: Iterable<LiveBackendView>;
  /** Forces K, the requests in flight during the replay; by default measured from the sample. */
  concurrency?: number;
  seed?: number;
  /** The time the sample's age is measured from; Date.now() by default. */
  nowMs?: number;
}

/**
 * Replays the sample through the live and the proposed balancer of every pool of `proposed` and
 * flags backends whose predicted share is out of proportion; see the top of this file.
 */
export function simulateImpact(live: Config, proposed: Config, sample: readonly SampledPool[], options: SimulateImpactOptions = {}): ImpactSimulation {
  const maxShareRatio = options.maxShareRatio ?? (live.policy as Config['policy'] | undefined)?.simulation.max_share_ratio ?? DEFAULT_MAX_SHARE_RATIO;
  if (!Number.isFinite(maxShareRatio) || maxShareRatio <= 1) {
    throw new SimulationError('EK_SIMULATION_RATIO_INVALID', `max_share_ratio ${maxShareRatio}: expected a number above 1, such as 1.5 (a backend may take 1.5 times its weight share)`);
  }
  if (options.concurrency !== undefined && !(Number.isInteger(options.concurrency) && options.concurrency >= 1 && options.concurrency <= MAX_SIMULATION_CONCURRENCY)) {
    throw new SimulationError('EK_SIMULATION_CONCURRENCY_INVALID', `concurrency ${options.concurrency}: expected a whole number of requests from 1 to ${MAX_SIMULATION_CONCURRENCY}`);
  }
  const seed = options.seed ?? SIMULATION_SEED;
  const liveByPool = groupLiveBackends(options.liveBackends);
  const oldestMs = (options.nowMs ?? Date.now()) - MAX_SAMPLE_AGE_MS;
  const sampleByPool = new Map<string, SampledRequest[]>();
  for (const pool of sample) {
    const requests = sampleByPool.get(pool.pool) ?? [];
    for (const request of pool.requests) if (request.atMs >= oldestMs) requests.push(request);
    sampleByPool.set(pool.pool, requests);
  }

  const pools: SimulatedPool[] = [];
  const flags: string[] = [];
  let sampleSize = 0;
  for (const [name, proposedPool] of Object.entries(proposed.pools)) {
    // Stable sort: a cluster primary's ring holds each worker's second in turn.
    const recorded = (sampleByPool.get(name) ?? []).slice().sort(byTime);
    const isSynthetic = recorded.length === 0;
    const requests = isSynthetic ? synthesizeRequests(seed) : recorded;
    const concurrency = options.concurrency ?? (isSynthetic ? DEFAULT_SIMULATION_CONCURRENCY : measuredConcurrency(recorded));
    const liveBackends = liveByPool.get(name);
    const replay = (pool: Config['pools'][string], keepsLivePins: boolean): PoolReplay =>
      replayPool({ poolName: name, pool, requests, concurrency, keepsLivePins, live: liveBackends, seed });

    const predicted = replay(proposedPool, false);
    const immediate = isSynthetic ? predicted : replay(proposedPool, true);
    const livePool = live.pools[name] as Config['pools'][string] | undefined;
    // The live config replayed with the live pins reproduces what the sample saw, within the
    // in-flight model; comparing it with `predicted` isolates what the change does.
    const current = livePool === undefined ? undefined : replay(livePool, !isSynthetic);
    const liveMembers = livePool === undefined ? undefined : buildMembers(name, livePool, liveBackends);
    const observed = new Map<string, number>();
    for (const request of recorded) observed.set(request.backend, (observed.get(request.backend) ?? 0) + 1);

    const backends: SimulatedBackendShare[] = [];
    const proposedWeights = weightShares(predicted.members);
    const liveWeights = liveMembers === undefined ? new Map<string, number>() : weightShares(liveMembers);
    for (const backend of predicted.members.backends) {
      const predictedShare = shareOf(predicted, backend.index);
      const weightShare = proposedWeights.get(backend.id) ?? 0;
      backends.push({
        backend: backend.id,
        weightShare,
        currentShare: current === undefined ? 0 : shareById(current, backend.id),
        predictedShare,
        ratio: ratioOf(predictedShare, weightShare),
        liveWeightShare: liveWeights.get(backend.id) ?? null,
        immediateShare: shareOf(immediate, backend.index),
        observedShare: recorded.length === 0 ? 0 : (observed.get(backend.id) ?? 0) / recorded.length,
      });
    }
    // Backends the change removes: listed so that the current shares add up; they get nothing.
    if (current !== undefined) {
      for (const backend of current.members.backends) {
        if (proposedWeights.has(backend.id)) continue;
        backends.push({
          backend: backend.id,
          weightShare: 0,
          currentShare: shareOf(current, backend.index),
          predictedShare: 0,
          ratio: 0,
          liveWeightShare: liveWeights.get(backend.id) ?? 0,
          immediateShare: 0,
          observedShare: recorded.length === 0 ? 0 : (observed.get(backend.id) ?? 0) / recorded.length,
        });
      }
    }

    if (predicted.placed === 0) {
      flags.push(`pool ${name}: no backend could take a request under the proposed config (every backend drained, at weight 0 or unhealthy)`);
    }
    for (const share of backends) {
      const flag = flagOf(name, share, maxShareRatio);
      if (flag !== undefined) flags.push(flag);
    }
    sampleSize += recorded.length;
    pools.push({ pool: name, sampledRequests: recorded.length, backends, isSynthetic, concurrency });
  }
  return { sampleSize, pools, maxShareRatio, flags };
}

/**
 * K: the average number of requests in flight in the recording process when a request was picked,
 * itself included, rounded. Per process is right even in a cluster: each worker balances (and
 * bounds) only its own in-flight requests.
 */
export function measuredConcurrency(requests: readonly SampledRequest[]): number {
  let total = 0;
  for (const request of requests) total += Math.max(1, request.inflight);
  const mean = requests.length === 0 ? DEFAULT_SIMULATION_CONCURRENCY : Math.round(total / requests.length);
  return Math.min(MAX_SIMULATION_CONCURRENCY, Math.max(1, mean));
}

/** The sentence for a backend over either ratio, or undefined. */
function flagOf(pool: string, share: SimulatedBackendShare, maxShareRatio: number): string | undefined {
  const predicted = share.predictedShare;
  if (predicted === 0) return undefined;
  const overWeights = share.ratio > maxShareRatio;
  const liveWeightShare = share.liveWeightShare ?? null;
  const liveRatio = liveWeightShare === null ? 0 : ratioOf(predicted, liveWeightShare);
  const overLive = liveWeightShare !== null && liveRatio > maxShareRatio;
  if (!overWeights && !overLive) return undefined;
  const parts: string[] = [];
  if (overWeights) parts.push(`weight share ${percent(share.weightShare)} (${times(share.ratio)} > ${times(maxShareRatio)})`);
  if (overLive) parts.push(`share under the live weights ${percent(liveWeightShare)} (${times(liveRatio)} > ${times(maxShareRatio)})`);
  return `${share.backend} predicted ${percent(predicted)} of ${pool}, ${parts.join('; ')}`;
}

function weightShares(members: PoolMembers): Map<string, number> {
  let total = 0;
  for (const backend of members.backends) total += selectableWeight(members, backend);
  const shares = new Map<string, number>();
  for (const backend of members.backends) shares.set(backend.id, total > 0 ? selectableWeight(members, backend) / total : 0);
  return shares;
}

function shareOf(replay: PoolReplay, index: number): number {
  return replay.placed === 0 ? 0 : replay.counts[index] / replay.placed;
}

function shareById(replay: PoolReplay, id: string): number {
  const backend = replay.members.backends.find((candidate) => candidate.id === id);
  return backend === undefined ? 0 : shareOf(replay, backend.index);
}

function ratioOf(share: number, reference: number): number {
  if (reference > 0) return share / reference;
  return share > 0 ? Infinity : 0;
}

function groupLiveBackends(backends: Iterable<LiveBackendView> | undefined): Map<string, Map<string, LiveBackendView>> {
  const byPool = new Map<string, Map<string, LiveBackendView>>();
  for (const backend of backends ?? []) {
    let byId = byPool.get(backend.poolName);
    if (byId === undefined) {
      byId = new Map();
      byPool.set(backend.poolName, byId);
    }
    byId.set(backend.id, backend);
  }
  return byPool;
}

function byTime(a: SampledRequest, b: SampledRequest): number {
  return a.atMs - b.atMs;
}

function percent(share: number): string {
  const value = share * 100;
  return `${value < 10 && value !== 0 ? value.toFixed(1) : value.toFixed(0)}%`;
}

function times(ratio: number): string {
  return ratio === Infinity ? 'unbounded' : `${Number(ratio.toFixed(2))}x`;
}
