import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { configSchema, type Config, type ConfigInput } from '../../../src/config/index.js';
import { BackendState } from '../../../src/balance/index.js';
import { simulateImpact, SimulationError, type SimulateImpactOptions } from '../../../src/control/simulation/index.js';
import type { SimulatedBackendShare } from '../../../src/control/changes/change-request.js';
import { RequestSample, type SampledPool } from '../../../src/telemetry/index.js';
import { portalConfig, recordTraffic, TRAFFIC, TRAFFIC_START_MS, type TrafficOptions } from './recorded-traffic.js';

const POSTMORTEM_WEIGHTS = [400, 400, 100, 100, 100];
/** Many clients of mildly uneven activity: the busiest sends about 4% of the requests. */
const PORTAL_TRAFFIC: TrafficOptions = { ...TRAFFIC, sessions: 5_000, zipfExponent: 0.8 };
/** A few very busy clients (the busiest sends about 1/6 of the requests), as in bench/balance.ts. */
const HEAVY_TRAFFIC: TrafficOptions = { ...TRAFFIC, sessions: 2_000, zipfExponent: 1.1 };

/** Ten minutes after the recorded traffic began: all of it is recent enough to replay. */
const NOW_MS = TRAFFIC_START_MS + 10 * 60 * 1000;

function simulate(live: Config, proposed: Config, sample: readonly SampledPool[], options: SimulateImpactOptions = {}) {
  return simulateImpact(live, proposed, sample, { nowMs: NOW_MS, ...options });
}

function byId(shares: SimulatedBackendShare[]): Record<string, SimulatedBackendShare> {
  return Object.fromEntries(shares.map((share) => [share.backend, share]));
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

describe('simulateImpact', () => {
  it("flags the postmortem's change: sticky sessions without a bound and web-1, web-2 raised 100 -> 400 put about three quarters of the traffic on two of five", () => {
    const live = portalConfig({ persistence: { by: 'cookie', bound: 10 } });
    const proposed = portalConfig({ persistence: { by: 'cookie', bound: 10 } }, POSTMORTEM_WEIGHTS);
    const simulation = simulate(live, proposed, recordTraffic(live, PORTAL_TRAFFIC).read(), { maxShareRatio: 1.5 });

    expect(simulation.sampleSize).toBe(10_000);
    const [portal] = simulation.pools;
    expect(portal.isSynthetic).toBe(false);
    expect(portal.concurrency).toBe(16);
    const shares = byId(portal.backends);
    // Today: an even fifth each, as the recorded traffic saw it.
    for (const id of ['web-1', 'web-2', 'web-3', 'web-4', 'web-5']) {
      expect(shares[id].currentShare).toBeCloseTo(0.2, 1);
      expect(shares[id].currentShare).toBeCloseTo(shares[id].observedShare as number, 3);
      expect(shares[id].liveWeightShare).toBeCloseTo(0.2, 9);
    }
    const twoOfFive = shares['web-1'].predictedShare + shares['web-2'].predictedShare;
    expect(twoOfFive).toBeGreaterThan(0.68);
    expect(twoOfFive).toBeLessThan(0.85);
    expect(shares['web-1'].weightShare).toBeCloseTo(4 / 11, 9);

    // Both raised backends are flagged against their live weight share, with the numbers.
    const flagged = simulation.flags.filter((flag) => /share under the live weights 20%/.test(flag));
    expect(flagged.map((flag) => flag.split(' ')[0]).sort()).toEqual(['web-1', 'web-2']);
    for (const flag of flagged) expect(flag).toMatch(/^web-[12] predicted \d+% of portal, .*\((1\.[5-9]\d*|[2-9](\.\d+)?)x > 1\.5x\)/);
    expect(simulation.maxShareRatio).toBe(1.5);
  });

  it('with a load bound of 1.25 the same change keeps every backend within 1.5 times its weight share, even with very busy clients; without a bound they break it', () => {
    const worstRatio = { bounded: 0, unbounded: 0 };
    for (const seed of [1, 2, 3, 4]) {
      for (const [kind, bound] of [['bounded', 1.25], ['unbounded', 10]] as const) {
        const live = portalConfig({ persistence: { by: 'cookie', bound } });
        const proposed = portalConfig({ persistence: { by: 'cookie', bound } }, POSTMORTEM_WEIGHTS);
        const simulation = simulate(live, proposed, recordTraffic(live, { ...HEAVY_TRAFFIC, seed }).read());
        for (const share of simulation.pools[0].backends) worstRatio[kind] = Math.max(worstRatio[kind], share.ratio);
        if (kind === 'bounded') {
          for (const share of simulation.pools[0].backends) expect(share.predictedShare).toBeLessThanOrEqual(1.5 * share.weightShare);
          expect(simulation.flags.some((flag) => /weight share \d/.test(flag))).toBe(false);
        }
      }
    }
    expect(worstRatio.bounded).toBeLessThan(1.15);
    expect(worstRatio.unbounded).toBeGreaterThan(1.5);
  });

  it("judges a change by the live policy's max_share_ratio: a proposal cannot loosen its own check", () => {
    const sample = recordTraffic(portalConfig({ persistence: { by: 'cookie' } }), { ...PORTAL_TRAFFIC, requests: 3_000 }).read();
    const loosening = portalConfig({ persistence: { by: 'cookie' } }, POSTMORTEM_WEIGHTS, [], { simulation: { max_share_ratio: 100 } });
    const strictLive = simulate(portalConfig({ persistence: { by: 'cookie' } }), loosening, sample);
    expect(strictLive.maxShareRatio).toBe(1.5);
    expect(strictLive.flags.length).toBeGreaterThan(0);
    const relaxedLive = simulate(portalConfig({ persistence: { by: 'cookie' } }, undefined, [], { simulation: { max_share_ratio: 3 } }), loosening, sample);
    expect(relaxedLive.maxShareRatio).toBe(3);
    expect(relaxedLive.flags).toEqual([]);
  });

  it('does not flag an even weight change, nor a small one', () => {
    const live = portalConfig({ persistence: { by: 'cookie' } });
    const sample = recordTraffic(live, PORTAL_TRAFFIC).read();
    const doubled = simulate(live, portalConfig({ persistence: { by: 'cookie' } }, [200, 200, 200, 200, 200]), sample);
    expect(doubled.flags).toEqual([]);
    for (const share of doubled.pools[0].backends) expect(share.predictedShare).toBeCloseTo(0.2, 1);
    const nudged = simulate(live, portalConfig({ persistence: { by: 'cookie' } }, [120, 100, 100, 100, 100]), sample);
    expect(nudged.flags).toEqual([]);
  });

  it('predicts nothing for a drained backend, and moves its pinned sessions at once', () => {
    const live = portalConfig({ persistence: { by: 'cookie' } });
    const proposed = portalConfig({ persistence: { by: 'cookie' } }, undefined, [false, false, true]);
    const simulation = simulate(live, proposed, recordTraffic(live, PORTAL_TRAFFIC).read());
    const shares = byId(simulation.pools[0].backends);
    expect(shares['web-3'].currentShare).toBeGreaterThan(0.15);
    expect(shares['web-3'].weightShare).toBe(0);
    expect(shares['web-3'].predictedShare).toBe(0);
    expect(shares['web-3'].immediateShare).toBe(0);
    for (const id of ['web-1', 'web-2', 'web-4', 'web-5']) expect(shares[id].predictedShare).toBeCloseTo(0.25, 1);
    // 25% against a live 20% is 1.25x: under 1.5x, so draining one of five is not flagged.
    expect(simulation.flags).toEqual([]);
  });

  it('keeps pinned clients on their backend right after a weight change, and shows where they settle', () => {
    const live = portalConfig({ persistence: { by: 'header', name: 'x-session' } });
    const proposed = portalConfig({ persistence: { by: 'header', name: 'x-session' } }, POSTMORTEM_WEIGHTS);
    const simulation = simulate(live, proposed, recordTraffic(live, PORTAL_TRAFFIC).read());
    const shares = byId(simulation.pools[0].backends);
    // Right after the change most requests come from clients pinned before it: web-1 moves only part way.
    expect(shares['web-1'].immediateShare).toBeGreaterThan(0.2);
    expect(shares['web-1'].immediateShare).toBeLessThan(shares['web-1'].predictedShare);
    expect(shares['web-1'].predictedShare).toBeGreaterThan(0.3);
  });

  it('handles a removed backend and a removed pool', () => {
    const twoPools = (portalBackends: number, withApi: boolean): Config =>
      configSchema.parse({
        pools: {
          portal: { backends: Array.from({ length: portalBackends }, (_, i) => ({ id: `web-${i + 1}`, url: `http://10.0.0.${11 + i}:8000` })) },
          ...(withApi ? { api: { backends: [{ id: 'api-1', url: 'http://10.0.1.1:8000' }] } } : {}),
        },
        routes: [{ match: { host: 'portal.example.com' }, pool: 'portal' }, ...(withApi ? [{ match: {}, pool: 'api' }] : [])],
      } as ConfigInput);
    const live = twoPools(5, true);
    const proposed = twoPools(4, false);
    const simulation = simulate(live, proposed, recordTraffic(live, { ...PORTAL_TRAFFIC, requests: 2_000 }).read());
    expect(simulation.pools.map((pool) => pool.pool)).toEqual(['portal']);
    expect(simulation.sampleSize).toBe(2_000);
    const shares = byId(simulation.pools[0].backends);
    expect(shares['web-5']).toMatchObject({ weightShare: 0, predictedShare: 0, ratio: 0 });
    expect(shares['web-5'].currentShare).toBeCloseTo(0.2, 2);
    expect(sum(simulation.pools[0].backends.map((share) => share.predictedShare))).toBeCloseTo(1, 9);
    expect(sum(simulation.pools[0].backends.map((share) => share.currentShare))).toBeCloseTo(1, 9);
    for (const id of ['web-1', 'web-2', 'web-3', 'web-4']) expect(shares[id].predictedShare).toBeCloseTo(0.25, 2);
  });

  it('replays a synthetic sample when the pool has no recorded traffic, and says so with sampleSize 0', () => {
    const live = portalConfig({ algorithm: 'hash', hash: { by: 'header', name: 'x-user' } });
    const proposed = portalConfig({ algorithm: 'hash', hash: { by: 'header', name: 'x-user' } }, POSTMORTEM_WEIGHTS);
    const first = simulate(live, proposed, []);
    const again = simulate(live, proposed, []);
    expect(first).toEqual(again);
    expect(first.sampleSize).toBe(0);
    expect(first.pools[0]).toMatchObject({ pool: 'portal', sampledRequests: 0, isSynthetic: true, concurrency: 16 });
    const shares = byId(first.pools[0].backends);
    expect(shares['web-1'].currentShare).toBeCloseTo(0.2, 1);
    expect(shares['web-1'].predictedShare).toBeGreaterThan(0.3);
    expect(shares['web-1'].observedShare).toBe(0);
    expect(first.flags.filter((flag) => flag.includes('live weights')).length).toBe(2);
  });

  it('replays only the last 15 minutes of the sample: older traffic is not what a change meets', () => {
    const live = portalConfig({ persistence: { by: 'cookie' } });
    const sample = recordTraffic(live, { ...PORTAL_TRAFFIC, requests: 2_000 }).read();
    const hourLater = simulate(live, live, sample, { nowMs: TRAFFIC_START_MS + 60 * 60 * 1000 });
    expect(hourLater.sampleSize).toBe(0);
    expect(hourLater.pools[0].isSynthetic).toBe(true);
    // 2,000 requests 20 ms apart span 40 s: 15 minutes after the 1,000th, the last 1,000 are still recent.
    const partly = simulate(live, live, sample, { nowMs: TRAFFIC_START_MS + 20 * 1000 + 15 * 60 * 1000 });
    expect(partly.sampleSize).toBe(1_001);
  });

  it('carries the live health into the simulation: an unhealthy backend gets nothing and its weight share goes to the others', () => {
    const live = portalConfig({});
    const liveBackends = live.pools.portal.backends.map((backend) => new BackendState('portal', backend.id, backend.url, backend.weight));
    liveBackends[1].isHealthy = false;
    liveBackends[1].effectiveWeight = 0;
    const simulation = simulate(live, live, recordTraffic(live, { ...PORTAL_TRAFFIC, requests: 2_000 }).read(), { liveBackends });
    const shares = byId(simulation.pools[0].backends);
    expect(shares['web-2']).toMatchObject({ weightShare: 0, predictedShare: 0 });
    expect(shares['web-1'].weightShare).toBeCloseTo(0.25, 9);
  });

  it('flags a pool that no backend can serve under the proposed config', () => {
    const live = portalConfig({});
    const proposed = portalConfig({}, [100, 100, 100, 100, 100], [true, true, true, true, true]);
    const simulation = simulate(live, proposed, []);
    expect(simulation.flags).toEqual([expect.stringMatching(/^pool portal: no backend could take a request/)]);
    expect(sum(simulation.pools[0].backends.map((share) => share.predictedShare))).toBe(0);
  });

  it('refuses a max_share_ratio that is not above 1, with a code', () => {
    const live = portalConfig({});
    expect(() => simulate(live, live, [], { maxShareRatio: 1 })).toThrow(SimulationError);
    expect(() => simulate(live, live, [], { maxShareRatio: Number.NaN })).toThrow(expect.objectContaining({ code: 'EK_SIMULATION_RATIO_INVALID' }));
  });

  it('predicts shares that add up to 1 in every pool that can serve (property)', () => {
    const backendArbitrary = fc.record({ weight: fc.integer({ min: 0, max: 1000 }), drain: fc.boolean() });
    const poolArbitrary = fc.record({
      algorithm: fc.constantFrom('round-robin', 'least-inflight', 'p2c', 'random', 'hash'),
      hashBy: fc.constantFrom('header', 'cookie', 'source_ip', 'path'),
      persistence: fc.constantFrom('none', 'cookie', 'header', 'source_ip'),
      bound: fc.constantFrom(1.1, 1.25, 2, 10),
      maxInflight: fc.constantFrom(0, 0, 1, 3),
      backends: fc.array(backendArbitrary, { minLength: 1, maxLength: 6 }),
    });
    const requestArbitrary = fc.record({
      atMs: fc.integer({ min: 0, max: 600_000 }),
      keyHash: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 40 })),
      backend: fc.integer({ min: 1, max: 6 }),
      inflight: fc.integer({ min: 0, max: 40 }),
      isPinned: fc.boolean(),
    });
    type PoolShape = { algorithm: string; hashBy: string; persistence: string; bound: number; maxInflight: number; backends: { weight: number; drain: boolean }[] };
    const toConfig = (pool: PoolShape): Config =>
      configSchema.parse({
        pools: {
          p: {
            algorithm: pool.algorithm,
            ...(pool.algorithm === 'hash' ? { hash: { by: pool.hashBy, name: 'k', bound: pool.bound } } : {}),
            persistence: { by: pool.persistence, ...(pool.persistence === 'header' ? { name: 'x-s' } : {}), bound: pool.bound },
            max_inflight: pool.maxInflight,
            backends: pool.backends.map((backend, i) => ({ id: `b${i + 1}`, url: `http://10.0.0.${i + 1}:80`, weight: backend.weight, drain: backend.drain })),
          },
        },
        proxy: { cookie_secret: 'property-test-secret-0123' },
      } as ConfigInput);
    fc.assert(
      fc.property(poolArbitrary, poolArbitrary, fc.array(requestArbitrary, { maxLength: 300 }), (livePool, proposedPool, requests) => {
        const sample: SampledPool[] = [{ pool: 'p', requests: requests.map((r) => ({ ...r, backend: `b${r.backend}`, isSpilled: false })) }];
        const simulation = simulate(toConfig(livePool), toConfig(proposedPool), sample, { concurrency: requests.length === 0 ? undefined : 8, nowMs: 600_000 });
        const [pool] = simulation.pools;
        const servable = proposedPool.backends.some((backend) => backend.weight > 0 && !backend.drain);
        const predicted = sum(pool.backends.map((share) => share.predictedShare));
        if (servable) expect(Math.abs(predicted - 1)).toBeLessThan(1e-9);
        else expect(predicted).toBe(0);
        for (const share of pool.backends) {
          if (share.weightShare === 0) expect(share.predictedShare).toBe(0);
        }
      }),
      { numRuns: 60, seed: 20240501 },
    );
  });
});

describe('the request sample feeding the simulation', () => {
  it('replays what a RequestSample recorded, pool by pool', () => {
    const live = portalConfig({ persistence: { by: 'source_ip' } });
    const sample = new RequestSample(500);
    recordTraffic(live, { ...PORTAL_TRAFFIC, requests: 2_000 }, sample);
    const simulation = simulate(live, live, sample.read());
    // The ring keeps the last 500 requests: that is what is replayed.
    expect(simulation.sampleSize).toBe(500);
    expect(simulation.flags).toEqual([]);
  });
});
