import { describe, expect, it } from 'vitest';
import { ejectionDurationMs, HealthCoordinator } from '../../src/health/index.js';
import { backendOf, EventLog, makePool, ManualClock } from './pool-fixture.js';

function setup(outlier: Record<string, unknown>, count = 4, extra: Record<string, unknown> = {}) {
  const clock = new ManualClock();
  const log = new EventLog();
  const pool = makePool('web', {
    outlier,
    slow_start: '0s',
    panic_threshold: 0,
    ...extra,
    backends: Array.from({ length: count }, (_, i) => ({ id: `b${i + 1}` })),
  });
  const health = new HealthCoordinator({ now: clock.now, onChange: log.record });
  health.setPools([pool]);
  return { clock, log, pool, health };
}

function fail(health: HealthCoordinator, backend: ReturnType<typeof backendOf>, times: number): void {
  for (let i = 0; i < times; i++) health.observer.recordOutcome(backend, true);
}

describe('passive outlier detection', () => {
  it('ejects a backend after N consecutive failures and gives it weight 0', () => {
    const { pool, health, log } = setup({ consecutive_failures: 3, base_ejection: '30s' });
    const b1 = backendOf(pool, 'b1');
    fail(health, b1, 2);
    expect(b1.isHealthy).toBe(true);
    const versionBefore = pool.members.version;
    fail(health, b1, 1);
    expect(b1.isHealthy).toBe(false);
    expect(b1.effectiveWeight).toBe(0);
    expect(pool.members.version).toBeGreaterThan(versionBefore);
    expect(log.kinds()).toEqual(['b1:ejected']);
  });

  it('starts the count again after a success in between', () => {
    const { pool, health } = setup({ consecutive_failures: 3 });
    const b1 = backendOf(pool, 'b1');
    fail(health, b1, 2);
    health.observer.recordOutcome(b1, false);
    fail(health, b1, 2);
    expect(b1.isHealthy).toBe(true);
    fail(health, b1, 1);
    expect(b1.isHealthy).toBe(false);
  });

  it('brings the backend back when its ejection time has passed', () => {
    const { pool, health, clock, log } = setup({ consecutive_failures: 2, base_ejection: '30s' });
    const b1 = backendOf(pool, 'b1');
    fail(health, b1, 2);
    clock.advance(29_999);
    health.tick();
    expect(b1.isHealthy).toBe(false);
    clock.advance(1);
    health.tick();
    expect(b1.isHealthy).toBe(true);
    expect(b1.effectiveWeight).toBe(100);
    expect(log.kinds()).toEqual(['b1:ejected', 'b1:returned']);
  });

  it('doubles the ejection time on each repeat ejection, up to max_ejection', () => {
    const { pool, health, clock, log } = setup({ consecutive_failures: 1, base_ejection: '10s', max_ejection: '35s' });
    const b1 = backendOf(pool, 'b1');
    const lengths: number[] = [];
    for (let round = 0; round < 4; round++) {
      fail(health, b1, 1);
      const ejectedAt = clock.nowMs;
      // Step one second at a time, as the real tick does, until the backend is back (bounded).
      for (let step = 0; step < 100 && !b1.isHealthy; step++) {
        clock.advance(1_000);
        health.tick();
      }
      lengths.push(clock.nowMs - ejectedAt);
    }
    expect(lengths).toEqual([10_000, 20_000, 35_000, 35_000]);
    expect(log.events.filter((event) => event.kind === 'ejected').map((event) => event.reason)).toEqual([
      '1 failures in a row; out for 10000ms (ejection 1)',
      '1 failures in a row; out for 20000ms (ejection 2)',
      '1 failures in a row; out for 35000ms (ejection 3)',
      '1 failures in a row; out for 35000ms (ejection 4)',
    ]);
  });

  it('starts again from the base time once the backend has stayed in for max_ejection', () => {
    const { pool, health, clock } = setup({ consecutive_failures: 1, base_ejection: '10s', max_ejection: '60s' });
    const b1 = backendOf(pool, 'b1');
    fail(health, b1, 1);
    clock.advance(10_000);
    health.tick();
    clock.advance(60_000);
    health.tick();
    fail(health, b1, 1);
    clock.advance(10_000);
    health.tick();
    expect(b1.isHealthy).toBe(true);
  });

  it('never ejects more than max_ejected_share of the pool; the one that would pass the cap stays in', () => {
    const { pool, health } = setup({ consecutive_failures: 1, max_ejected_share: 0.5 }, 5);
    for (const backend of pool.members.backends) fail(health, backend, 1);
    // 0.5 × 5 = 2.5: two may be out, a third would pass the cap.
    expect(pool.members.backends.map((backend) => backend.isHealthy)).toEqual([false, false, true, true, true]);
  });

  it('ejects nothing when consecutive_failures is 0', () => {
    const { pool, health } = setup({ consecutive_failures: 0 });
    const b1 = backendOf(pool, 'b1');
    fail(health, b1, 1_000);
    expect(b1.isHealthy).toBe(true);
  });

  it('ramps a returning backend with slow start', () => {
    const { pool, health, clock } = setup({ consecutive_failures: 1, base_ejection: '10s' }, 4, { slow_start: '20s' });
    const b1 = backendOf(pool, 'b1');
    fail(health, b1, 1);
    clock.advance(10_000);
    health.tick();
    expect(b1.isHealthy).toBe(true);
    expect(b1.effectiveWeight).toBe(10);
    clock.advance(10_000);
    health.tick();
    expect(b1.effectiveWeight).toBe(50);
    clock.advance(10_000);
    health.tick();
    expect(b1.effectiveWeight).toBe(100);
  });

  it('ignores outcomes of a backend that a reload removed', () => {
    const { pool, health, log } = setup({ consecutive_failures: 1 });
    const removed = backendOf(pool, 'b4');
    pool.members.backends = pool.members.backends.slice(0, 3);
    health.setPools([pool]);
    fail(health, removed, 10);
    expect(log.events).toEqual([]);
  });
});

describe('ejectionDurationMs', () => {
  it('is base × 2^(k-1), capped, and never overflows for large k', () => {
    const outlier = { consecutive_failures: 5, base_ejection: 30_000, max_ejection: 300_000, max_ejected_share: 0.5 };
    expect([1, 2, 3, 4, 5, 1_000].map((k) => ejectionDurationMs(outlier, k))).toEqual([30_000, 60_000, 120_000, 240_000, 300_000, 300_000]);
  });
});
