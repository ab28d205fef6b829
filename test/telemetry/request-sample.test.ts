import { describe, expect, it } from 'vitest';
import { configSchema, type ConfigInput, type PoolConfig } from '../../src/config/index.js';
import {
  NO_SAMPLE_KEY,
  REQUEST_SAMPLE_CAPACITY,
  RequestSample,
  SAMPLE_DELTA_LIMIT,
  Telemetry,
  TelemetryError,
  sampleKeySpecOf,
  type TelemetryDelta,
} from '../../src/telemetry/index.js';

const T0 = 1_700_000_000_000;

function overIpc(delta: TelemetryDelta): TelemetryDelta {
  return JSON.parse(JSON.stringify(delta)) as TelemetryDelta;
}

function pool(input: Record<string, unknown>): PoolConfig {
  return configSchema.parse({ pools: { p: { ...input, backends: [{ id: 'b1', url: 'http://10.0.0.1:80' }] } } } as ConfigInput).pools.p;
}

describe('request sample', () => {
  it('stays bounded: after 25,000 picks a pool holds the last 10,000, oldest first', () => {
    const sample = new RequestSample();
    for (let i = 0; i < 25_000; i++) sample.record('portal', T0 + i, i, i % 2 === 0 ? 'web-1' : 'web-2', 1 + (i % 7), i % 3 === 0, false);
    const [portal] = sample.read();
    expect(portal.requests).toHaveLength(REQUEST_SAMPLE_CAPACITY);
    expect(portal.requests[0]).toEqual({ atMs: T0 + 15_000, keyHash: 15_000, backend: 'web-1', inflight: 1 + (15_000 % 7), isPinned: true, isSpilled: false });
    expect(portal.requests.at(-1)).toMatchObject({ atMs: T0 + 24_999, keyHash: 24_999, backend: 'web-2' });
    for (let i = 1; i < portal.requests.length; i++) expect(portal.requests[i].atMs).toBe(portal.requests[i - 1].atMs + 1);
    expect(sample.ringOf('portal').recorded).toBe(25_000);
  });

  it('keeps each pool its own ring, so a busy pool does not push a quiet one out', () => {
    const sample = new RequestSample(100);
    sample.record('quiet', T0, 7, 'api-1', 1, false, false);
    for (let i = 0; i < 1_000; i++) sample.record('busy', T0 + i, NO_SAMPLE_KEY, `web-${(i % 3) + 1}`, 4, false, i % 10 === 0);
    const byPool = Object.fromEntries(sample.read().map((p) => [p.pool, p.requests]));
    expect(byPool.quiet).toEqual([{ atMs: T0, keyHash: 7, backend: 'api-1', inflight: 1, isPinned: false, isSpilled: false }]);
    expect(byPool.busy).toHaveLength(100);
    // The mix of the recent traffic survives: every backend and the spills are still there.
    expect(new Set(byPool.busy.map((r) => r.backend))).toEqual(new Set(['web-1', 'web-2', 'web-3']));
    expect(byPool.busy.filter((r) => r.isSpilled)).toHaveLength(10);
  });

  it('finds the busiest keys of a time range, as the persistence concentration rule reads them', () => {
    const sample = new RequestSample(1_000);
    // 1,500 requests: the ring keeps the last 1,000 (i = 500..1499); every third is pinned, every fourth has no key.
    for (let i = 0; i < 1_500; i++) sample.record('portal', T0 + i, i % 4 === 0 ? NO_SAMPLE_KEY : (i * i) % 13, 'web-1', 1, i % 3 === 0, false);
    const concentration = sample.ringOf('portal').keyConcentration(T0 + 999, T0 + 1_099, 3);
    const expected = sample.read()[0].requests.filter((r) => r.atMs > T0 + 999 && r.atMs <= T0 + 1_099);
    const counts = new Map<number, number>();
    for (const r of expected) if (r.keyHash !== NO_SAMPLE_KEY) counts.set(r.keyHash, (counts.get(r.keyHash) ?? 0) + 1);
    expect(concentration).toEqual({
      requests: 100,
      pinned: expected.filter((r) => r.isPinned).length,
      topKeyRequests: [...counts.values()].sort((a, b) => b - a).slice(0, 3),
      distinctKeys: counts.size,
    });
    expect(sample.ringOf('portal').keyConcentration(T0 + 2_000, T0 + 3_000, 3)).toEqual({ requests: 0, pinned: 0, topKeyRequests: [], distinctKeys: 0 });
  });

  it('counts keys exactly when many share their low bits, in rings of different sizes one after the other', () => {
    // Keys that differ only in their high bits all want the same slot of the counting table, and the
    // largest unsigned 32-bit hashes must not be confused with each other or with NO_SAMPLE_KEY.
    const colliding = (n: number): number => (n % 2 === 0 ? n * 65_536 : 0xffff_ffff - n * 65_536);
    const small = new RequestSample(50);
    const large = new RequestSample(REQUEST_SAMPLE_CAPACITY);
    for (let i = 0; i < 60; i++) small.record('p', T0 + i, colliding(i % 7), 'web-1', 1, false, false);
    for (let i = 0; i < REQUEST_SAMPLE_CAPACITY; i++) large.record('p', T0 + i, i % 5 === 0 ? colliding(i % 40) : colliding(i), 'web-1', 1, i % 2 === 0, false);
    for (const sample of [small, large, small]) {
      const concentration = sample.ringOf('p').keyConcentration(T0 - 1, T0 + REQUEST_SAMPLE_CAPACITY, 5);
      const requests = sample.read()[0].requests;
      const counts = new Map<number, number>();
      for (const r of requests) counts.set(r.keyHash, (counts.get(r.keyHash) ?? 0) + 1);
      expect(concentration).toEqual({
        requests: requests.length,
        pinned: requests.filter((r) => r.isPinned).length,
        topKeyRequests: [...counts.values()].sort((a, b) => b - a).slice(0, 5),
        distinctKeys: counts.size,
      });
    }
  });

  it('refuses a capacity that is not a positive whole number', () => {
    expect(() => new RequestSample(0)).toThrow(expect.objectContaining({ code: 'EK_TELEMETRY_SAMPLE_INVALID' }));
  });

  it("records the key each pool's balancer looks at: persistence first, then the hash key", () => {
    expect(sampleKeySpecOf(pool({ persistence: { by: 'cookie' } }))).toEqual({ kind: 'cookie', name: 'ek_session', mixesSourceIp: true });
    expect(sampleKeySpecOf(pool({ persistence: { by: 'header', name: 'X-Session' } }))).toEqual({ kind: 'header', name: 'x-session', mixesSourceIp: false });
    expect(sampleKeySpecOf(pool({ algorithm: 'hash', hash: { by: 'path' }, persistence: { by: 'source_ip' } })).kind).toBe('source_ip');
    expect(sampleKeySpecOf(pool({ algorithm: 'hash', hash: { by: 'header', name: 'X-User' } }))).toEqual({ kind: 'header', name: 'x-user', mixesSourceIp: false });
    expect(sampleKeySpecOf(pool({ algorithm: 'hash' })).kind).toBe('source_ip');
    expect(sampleKeySpecOf(pool({ algorithm: 'least-inflight' })).kind).toBe('none');
  });
});

describe('request sample in telemetry deltas', () => {
  it("reaches the cluster primary's requestSample once, through JSON", () => {
    const workerA = new Telemetry({ now: () => T0 });
    const workerB = new Telemetry({ now: () => T0 });
    const primary = new Telemetry({ now: () => T0 });
    workerA.recordPick('portal', T0, 11, 'web-1', 3, true, false);
    workerB.recordPick('portal', T0 + 5, NO_SAMPLE_KEY, 'web-2', 1, false, false);
    workerB.recordPick('api', T0 + 5, 4_000_000_000, 'api-1', 2, false, true);
    primary.mergeDelta(overIpc(workerA.drainDelta()), 1);
    primary.mergeDelta(overIpc(workerB.drainDelta()), 2);
    // Nothing new: the next deltas carry no samples.
    expect(workerA.drainDelta().samples).toEqual([]);
    primary.mergeDelta(overIpc(workerB.drainDelta()), 2);

    const byPool = Object.fromEntries(primary.requestSample.read().map((p) => [p.pool, p.requests]));
    expect(byPool.portal).toEqual([
      { atMs: T0, keyHash: 11, backend: 'web-1', inflight: 3, isPinned: true, isSpilled: false },
      { atMs: T0 + 5, keyHash: NO_SAMPLE_KEY, backend: 'web-2', inflight: 1, isPinned: false, isSpilled: false },
    ]);
    expect(byPool.api).toEqual([{ atMs: T0 + 5, keyHash: 4_000_000_000, backend: 'api-1', inflight: 2, isPinned: false, isSpilled: true }]);
  });

  it('sends at most SAMPLE_DELTA_LIMIT requests of a pool per delta, spread over all of them', () => {
    const worker = new Telemetry({ now: () => T0 });
    for (let i = 0; i < 5_000; i++) worker.recordPick('portal', T0 + i, i, i < 2_500 ? 'web-1' : 'web-2', 1, false, false);
    const [samples] = worker.drainDelta().samples ?? [];
    expect(samples.atMs.length).toBe(SAMPLE_DELTA_LIMIT);
    expect(samples.keyHashes[0]).toBe(0);
    expect(samples.keyHashes.at(-1)).toBe(4_995);
    expect(samples.backends.filter((b) => b === 'web-1').length).toBe(SAMPLE_DELTA_LIMIT / 2);
  });

  it('refuses a delta with malformed samples and merges none of it', () => {
    const worker = new Telemetry({ now: () => T0 });
    const primary = new Telemetry({ now: () => T0 });
    worker.recordPick('portal', T0, 1, 'web-1', 1, false, false);
    const delta = overIpc(worker.drainDelta());
    const broken = { ...delta, samples: [{ ...delta.samples![0], inflight: [] }] } as TelemetryDelta;
    expect(() => primary.mergeDelta(broken, 1)).toThrow(TelemetryError);
    expect(() => primary.mergeDelta(broken, 1)).toThrow(/sample columns/);
    expect(primary.requestSample.read()).toEqual([]);
    // The same delta, intact, still merges: the refused one did not consume its sequence number.
    primary.mergeDelta(delta, 1);
    expect(primary.requestSample.read()[0].requests).toHaveLength(1);
  });

  it('still merges a delta without samples (a worker that recorded no picks)', () => {
    const primary = new Telemetry({ now: () => T0 });
    const { samples: _dropped, ...withoutSamples } = new Telemetry({ now: () => T0 }).drainDelta();
    primary.mergeDelta(withoutSamples as TelemetryDelta, 1);
    expect(primary.requestSample.read()).toEqual([]);
  });
});
