import { describe, expect, it } from 'vitest';
import { BackendState } from '../../src/balance/index.js';
import { RING_SECONDS, Telemetry, TelemetryError } from '../../src/telemetry/index.js';

/** A clock the test moves by hand. */
function manualClock(startMs: number) {
  const clock = { nowMs: startMs, now: () => clock.nowMs };
  return clock;
}

const T0 = 1_700_000_000_000; // a whole second

describe('Telemetry', () => {
  it('counts each request once in its status class, with pinned, spilled and bytes', () => {
    const clock = manualClock(T0);
    const telemetry = new Telemetry({ now: clock.now });
    const web1 = new BackendState('portal', 'web-1', 'http://127.0.0.1:1', 100);
    for (const status of [101, 200, 204, 302, 404, 499, 500, 503]) telemetry.recordRequest(web1, status, 3, 10, 100, false, false);
    telemetry.recordRequest(web1, 200, 3, 1, 2, true, false);
    telemetry.recordRequest(web1, 200, 3, 1, 2, false, true);

    const [window] = telemetry.window('portal', 10);
    expect(window.id).toBe('web-1');
    expect(window.requests).toBe(10);
    expect(window.byClass).toEqual({ '1xx': 1, '2xx': 4, '3xx': 1, '4xx': 2, '5xx': 2 });
    expect(window.pinned).toBe(1);
    expect(window.spilled).toBe(1);
    expect(window.bytesIn).toBe(82);
    expect(window.bytesOut).toBe(804);
    expect(window.latencyMeanMs).toBe(3);
  });

  it('keeps backends with the same id in different pools apart and reports an unknown pool as empty', () => {
    const telemetry = new Telemetry({ now: () => T0 });
    telemetry.recordRequest(new BackendState('a', 'web-1', 'http://x', 1), 200, 1, 0, 0, false, false);
    telemetry.recordRequest(new BackendState('b', 'web-1', 'http://x', 1), 200, 1, 0, 0, false, false);
    telemetry.recordRequest(new BackendState('b', 'web-1', 'http://x', 1), 200, 1, 0, 0, false, false);
    expect(telemetry.window('a', 1)[0].requests).toBe(1);
    expect(telemetry.window('b', 1)[0].requests).toBe(2);
    expect(telemetry.window('nope', 1)).toEqual([]);
  });

  it('counts a backend re-created by a reload (new serial, same id) in the same series', () => {
    const telemetry = new Telemetry({ now: () => T0 });
    telemetry.recordRequest(new BackendState('portal', 'web-1', 'http://x', 1), 200, 1, 0, 0, false, false);
    telemetry.recordRequest(new BackendState('portal', 'web-1', 'http://x', 1), 200, 1, 0, 0, false, false);
    expect(telemetry.window('portal', 1)).toHaveLength(1);
    expect(telemetry.window('portal', 1)[0].requests).toBe(2);
  });

  it('sums only the seconds inside the window and gives per-second series oldest first', () => {
    const clock = manualClock(T0);
    const telemetry = new Telemetry({ now: clock.now });
    const web1 = new BackendState('portal', 'web-1', 'http://x', 1);
    for (let second = 0; second < 10; second++) {
      clock.nowMs = T0 + second * 1000 + 500;
      for (let i = 0; i <= second; i++) telemetry.recordRequest(web1, 200, 1, 0, 0, false, false);
    }
    // Now in second 9: the last 3 seconds hold 8 + 9 + 10 requests.
    expect(telemetry.window('portal', 3)[0].requests).toBe(27);
    expect(telemetry.window('portal', 60)[0].requests).toBe(55);
    expect(telemetry.series('portal', 'web-1', 4)).toEqual([7, 8, 9, 10]);
    expect(telemetry.series('portal', 'web-1', 2, T0 + 3000)).toEqual([3, 4]);
    expect(telemetry.series('portal', 'nope', 2)).toEqual([0, 0]);
  });

  it('forgets a second once it is older than the ring, and clears a slot when a later second reuses it', () => {
    const clock = manualClock(T0);
    const telemetry = new Telemetry({ now: clock.now });
    const web1 = new BackendState('portal', 'web-1', 'http://x', 1);
    telemetry.recordRequest(web1, 200, 1, 0, 0, false, false);
    telemetry.recordRequest(web1, 200, 1, 0, 0, false, false);

    clock.nowMs = T0 + (RING_SECONDS - 1) * 1000;
    expect(telemetry.window('portal', RING_SECONDS)[0].requests).toBe(2);

    clock.nowMs = T0 + RING_SECONDS * 1000; // same slot as T0, a new second
    expect(telemetry.window('portal', RING_SECONDS)[0].requests).toBe(0);
    telemetry.recordRequest(web1, 500, 1, 0, 0, false, false);
    const [window] = telemetry.window('portal', RING_SECONDS);
    expect(window.requests).toBe(1);
    expect(window.byClass['2xx']).toBe(0);
    expect(window.byClass['5xx']).toBe(1);
  });

  it('estimates latency percentiles within one bucket of the true value', () => {
    const telemetry = new Telemetry({ now: () => T0 });
    const web1 = new BackendState('portal', 'web-1', 'http://x', 1);
    // 90 fast requests (3 ms, bucket 2..5) and 10 slow ones (700 ms, bucket 500..1000).
    for (let i = 0; i < 90; i++) telemetry.recordRequest(web1, 200, 3, 0, 0, false, false);
    for (let i = 0; i < 10; i++) telemetry.recordRequest(web1, 200, 700, 0, 0, false, false);
    const [window] = telemetry.window('portal', 5);
    expect(window.latencyP50Ms).toBeGreaterThan(2);
    expect(window.latencyP50Ms).toBeLessThanOrEqual(5);
    expect(window.latencyP95Ms).toBeGreaterThan(500);
    expect(window.latencyP95Ms).toBeLessThanOrEqual(1000);
    expect(window.latencyMeanMs).toBeCloseTo(72.7, 5);
  });

  it('reports zero latencies for a backend without requests in the window', () => {
    const clock = manualClock(T0);
    const telemetry = new Telemetry({ now: clock.now });
    telemetry.recordRequest(new BackendState('portal', 'web-1', 'http://x', 1), 200, 40, 0, 0, false, false);
    clock.nowMs += 10_000;
    const [window] = telemetry.window('portal', 5);
    expect(window).toMatchObject({ requests: 0, latencyMeanMs: 0, latencyP50Ms: 0, latencyP95Ms: 0 });
  });

  it('rejects windows outside 1 to 300 seconds with EK_TELEMETRY_WINDOW_INVALID', () => {
    const telemetry = new Telemetry();
    for (const seconds of [0, -1, 1.5, RING_SECONDS + 1]) {
      expect(() => telemetry.window('portal', seconds)).toThrow(TelemetryError);
      expect(() => telemetry.series('portal', 'web-1', seconds)).toThrow(expect.objectContaining({ code: 'EK_TELEMETRY_WINDOW_INVALID' }));
    }
  });

  it('counts proxy errors per pool and code', () => {
    const telemetry = new Telemetry();
    telemetry.recordProxyError('portal', 'EK_NO_HEALTHY_BACKEND');
    telemetry.recordProxyError('portal', 'EK_NO_HEALTHY_BACKEND');
    telemetry.recordProxyError('api', 'EK_QUEUE_FULL');
    expect(telemetry.proxyErrors().map(({ pool, code, count }) => ({ pool, code, count }))).toEqual([
      { pool: 'portal', code: 'EK_NO_HEALTHY_BACKEND', count: 2 },
      { pool: 'api', code: 'EK_QUEUE_FULL', count: 1 },
    ]);
  });
});
