import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BackendState } from '../../src/balance/index.js';
import { Telemetry, type TelemetryDelta } from '../../src/telemetry/index.js';

const T0 = 1_700_000_000_000;

/** What cluster IPC does to a message. */
function overIpc(delta: TelemetryDelta): TelemetryDelta {
  return JSON.parse(JSON.stringify(delta)) as TelemetryDelta;
}

function totalsOf(telemetry: Telemetry) {
  return telemetry.allSeries().map((series) => ({
    pool: series.poolName,
    id: series.id,
    counts: Array.from(series.totalCounts),
    amounts: Array.from(series.totalAmounts),
  }));
}

describe('telemetry deltas', () => {
  it('lets a primary count every request of two workers exactly once, in totals and in seconds', () => {
    const clock = { nowMs: T0 };
    const now = () => clock.nowMs;
    const workerA = new Telemetry({ now });
    const workerB = new Telemetry({ now });
    const primary = new Telemetry({ now });
    // Serials differ per process; the same (pool, id) must still meet in the primary.
    const a1 = new BackendState('portal', 'web-1', 'http://x', 1);
    const a2 = new BackendState('portal', 'web-2', 'http://x', 1);
    const b1 = new BackendState('portal', 'web-1', 'http://x', 1);

    for (let i = 0; i < 5; i++) workerA.recordRequest(a1, 200, 4, 10, 20, false, false);
    workerA.recordRequest(a2, 503, 30, 0, 0, false, false);
    for (let i = 0; i < 3; i++) workerB.recordRequest(b1, 200, 4, 10, 20, true, false);
    workerB.recordProxyError('portal', 'EK_NO_HEALTHY_BACKEND');

    primary.mergeDelta(overIpc(workerA.drainDelta()), 1);
    primary.mergeDelta(overIpc(workerB.drainDelta()), 2);

    clock.nowMs += 1000;
    for (let i = 0; i < 2; i++) workerB.recordRequest(b1, 404, 4, 10, 20, false, true);
    primary.mergeDelta(overIpc(workerA.drainDelta()), 1);
    primary.mergeDelta(overIpc(workerB.drainDelta()), 2);

    const windows = Object.fromEntries(primary.window('portal', 10).map((w) => [w.id, w]));
    expect(windows['web-1']).toMatchObject({ requests: 10, pinned: 3, spilled: 2, bytesIn: 100, bytesOut: 200 });
    expect(windows['web-1'].byClass).toMatchObject({ '2xx': 8, '4xx': 2 });
    expect(windows['web-2']).toMatchObject({ requests: 1, byClass: { '5xx': 1 } });
    expect(primary.series('portal', 'web-1', 2)).toEqual([8, 2]);
    expect(primary.proxyErrors().map(({ code, count }) => ({ code, count }))).toEqual([{ code: 'EK_NO_HEALTHY_BACKEND', count: 1 }]);

    const web1 = primary.allSeries().find((series) => series.id === 'web-1');
    const sumOfClasses = Array.from(web1!.totalCounts.subarray(0, 5)).reduce((a, b) => a + b, 0);
    expect(sumOfClasses).toBe(10);
  });

  it('sends nothing twice: a second drain right after the first is empty', () => {
    const worker = new Telemetry({ now: () => T0 });
    const web1 = new BackendState('portal', 'web-1', 'http://x', 1);
    worker.recordRequest(web1, 200, 1, 0, 0, false, false);
    worker.recordProxyError('portal', 'EK_QUEUE_FULL');
    expect(worker.drainDelta().backends).toHaveLength(1);
    const second = worker.drainDelta();
    expect(second.backends).toEqual([]);
    expect(second.proxyErrors).toEqual([]);
  });

  it('splits a second that a drain caught half-way without losing or repeating requests', () => {
    const now = () => T0 + 400;
    const worker = new Telemetry({ now });
    const primary = new Telemetry({ now });
    const web1 = new BackendState('portal', 'web-1', 'http://x', 1);
    worker.recordRequest(web1, 200, 1, 0, 0, false, false);
    primary.mergeDelta(overIpc(worker.drainDelta()), 1);
    worker.recordRequest(web1, 200, 1, 0, 0, false, false);
    worker.recordRequest(web1, 200, 1, 0, 0, false, false);
    primary.mergeDelta(overIpc(worker.drainDelta()), 1);
    expect(primary.series('portal', 'web-1', 1)).toEqual([3]);
    expect(primary.window('portal', 1)[0].requests).toBe(3);
  });

  it('refuses to merge the same delta twice with EK_TELEMETRY_DELTA_REPLAYED', () => {
    const worker = new Telemetry({ now: () => T0 });
    const primary = new Telemetry({ now: () => T0 });
    worker.recordRequest(new BackendState('portal', 'web-1', 'http://x', 1), 200, 1, 0, 0, false, false);
    const delta = overIpc(worker.drainDelta());
    primary.mergeDelta(delta, 1);
    expect(() => primary.mergeDelta(delta, 1)).toThrow(expect.objectContaining({ code: 'EK_TELEMETRY_DELTA_REPLAYED' }));
    expect(primary.window('portal', 1)[0].requests).toBe(1);
  });

  it('rejects a malformed delta with EK_TELEMETRY_DELTA_INVALID before merging any of it', () => {
    const primary = new Telemetry({ now: () => T0 });
    const worker = new Telemetry({ now: () => T0 });
    worker.recordRequest(new BackendState('portal', 'web-1', 'http://x', 1), 200, 1, 0, 0, false, false);
    const delta = overIpc(worker.drainDelta()) as unknown as { backends: { counts: number[] }[] };
    delta.backends[0].counts.pop();
    expect(() => primary.mergeDelta(delta as unknown as TelemetryDelta, 1)).toThrow(expect.objectContaining({ code: 'EK_TELEMETRY_DELTA_INVALID' }));
    expect(primary.allSeries()).toHaveLength(0);
  });

  it('sums the in-flight counts the workers last reported, and forgets a worker that left', () => {
    const now = () => T0;
    const primary = new Telemetry({ now });
    expect(primary.workerInflight('portal', 'web-1')).toBeUndefined();
    const workers = [new Telemetry({ now }), new Telemetry({ now })];
    const states = [new BackendState('portal', 'web-1', 'http://x', 1), new BackendState('portal', 'web-1', 'http://x', 1)];
    states[0].inflight = 3;
    states[1].inflight = 4;
    workers.forEach((worker, i) => worker.trackBackends([states[i]]));
    workers.forEach((worker, i) => primary.mergeDelta(overIpc(worker.drainDelta()), i + 1));
    expect(primary.workerInflight('portal', 'web-1')).toBe(7);

    states[0].inflight = 1; // changed with no request finished: still reported
    primary.mergeDelta(overIpc(workers[0].drainDelta()), 1);
    expect(primary.workerInflight('portal', 'web-1')).toBe(5);
    primary.forgetWorker(2);
    expect(primary.workerInflight('portal', 'web-1')).toBe(1);
    expect(primary.workerInflight('portal', 'unknown')).toBe(0);
  });

  it('makes merged totals equal the sum of what every worker recorded, whatever the timing of drains', () => {
    const event = fc.oneof(
      fc.record({
        kind: fc.constant('request' as const),
        worker: fc.integer({ min: 0, max: 1 }),
        backend: fc.integer({ min: 0, max: 2 }),
        status: fc.integer({ min: 100, max: 599 }),
        latencyMs: fc.integer({ min: 0, max: 20_000 }),
        bytes: fc.integer({ min: 0, max: 10_000 }),
        isPinned: fc.boolean(),
      }),
      fc.record({ kind: fc.constant('drain' as const), worker: fc.integer({ min: 0, max: 1 }) }),
      fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 2500 }) }),
    );
    fc.assert(
      fc.property(fc.array(event, { maxLength: 200 }), (events) => {
        const clock = { nowMs: T0 };
        const now = () => clock.nowMs;
        const reference = new Telemetry({ now });
        const primary = new Telemetry({ now });
        const workers = [new Telemetry({ now }), new Telemetry({ now })];
        const ids = ['web-1', 'web-2', 'web-3'];
        const states = workers.map(() => ids.map((id) => new BackendState('portal', id, 'http://x', 1)));
        const referenceStates = ids.map((id) => new BackendState('portal', id, 'http://x', 1));
        for (const e of events) {
          if (e.kind === 'tick') clock.nowMs += e.ms;
          else if (e.kind === 'drain') primary.mergeDelta(overIpc(workers[e.worker].drainDelta()), e.worker + 1);
          else {
            workers[e.worker].recordRequest(states[e.worker][e.backend], e.status, e.latencyMs, e.bytes, e.bytes, e.isPinned, !e.isPinned);
            reference.recordRequest(referenceStates[e.backend], e.status, e.latencyMs, e.bytes, e.bytes, e.isPinned, !e.isPinned);
          }
        }
        workers.forEach((worker, i) => primary.mergeDelta(overIpc(worker.drainDelta()), i + 1));
        const sortById = (rows: ReturnType<typeof totalsOf>) => [...rows].sort((a, b) => a.id.localeCompare(b.id));
        expect(sortById(totalsOf(primary))).toEqual(sortById(totalsOf(reference)));
        for (const id of ids) expect(primary.series('portal', id, 300)).toEqual(reference.series('portal', id, 300));
      }),
      { numRuns: 200 },
    );
  });
});
