import { afterEach, describe, expect, it } from 'vitest';
import { applyHealth, HealthCoordinator, PassiveTracker, type HealthSnapshot } from '../../src/health/index.js';
import { BackendState, PoolMembers } from '../../src/balance/index.js';
import { backendOf, CheckedBackend, EventLog, makePool, ManualClock } from './pool-fixture.js';

const servers: CheckedBackend[] = [];
const coordinators: HealthCoordinator[] = [];
afterEach(async () => {
  for (const health of coordinators.splice(0)) health.stop();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** A started coordinator on a manual clock checking backend a at `server` (b has no server); its log and a's state. */
async function checkedPool(server: CheckedBackend, config: Record<string, unknown>) {
  const clock = new ManualClock();
  const log = new EventLog();
  const pool = makePool('web', { panic_threshold: 0, ...config, backends: [{ id: 'a', url: server.url }, { id: 'b' }] });
  const health = new HealthCoordinator({ now: clock.now, onChange: log.record });
  coordinators.push(health);
  health.setPools([pool]);
  health.start();
  await server.waitForChecks(1);
  return { clock, log, health, a: backendOf(pool, 'a') };
}

describe('active checks', () => {
  it('takes a backend down after fall failed checks, brings it back after rise passes, then ramps it', async () => {
    const server = await CheckedBackend.start();
    servers.push(server);
    const { clock, log, health, a } = await checkedPool(server, {
      health: { path: '/healthz', interval: '30ms', timeout: '20ms', rise: 2, fall: 2, host: 'checks.example' },
      slow_start: '10s',
    });
    expect(server.lastPath).toBe('/healthz');
    expect(server.lastHeaders?.['user-agent']).toBe('evenkeel-health');
    expect(server.lastHeaders?.host).toBe('checks.example');

    server.status = 503;
    const down = await log.next('a', 'down');
    expect(down.reason).toContain('status 503');
    expect(a.isHealthy).toBe(false);
    expect(a.effectiveWeight).toBe(0);
    expect(a.healthDowns).toBe(1);

    server.status = 204;
    await log.next('a', 'up');
    expect(a.isHealthy).toBe(true);
    expect(a.healthDowns).toBe(1);
    expect(a.effectiveWeight).toBe(10);
    clock.advance(5_000);
    health.tick();
    expect(a.effectiveWeight).toBe(50);
  });

  it('counts a crash that trips ejection and then the checks as one fall, and each crash during that ejection as another', async () => {
    const server = await CheckedBackend.start();
    servers.push(server);
    const { log, health, a } = await checkedPool(server, {
      health: { path: '/healthz', interval: '30ms', timeout: '20ms', rise: 1, fall: 1 },
      outlier: { consecutive_failures: 1, base_ejection: '1h', max_ejected_share: 1 },
    });

    // The crash: traffic fails first (ejected for an hour), the checks notice next.
    health.observer.recordOutcome(a, true);
    expect(a.healthDowns).toBe(1);
    server.status = 503;
    await log.next('a', 'down');
    expect(a.healthDowns).toBe(1);
    // Restarted and crashed again while still ejected: a new fall each time.
    for (const falls of [2, 3]) {
      server.status = 200;
      await log.next('a', 'up', log.events.length);
      server.status = 503;
      await log.next('a', 'down', log.events.length);
      expect(a.healthDowns).toBe(falls);
    }
    expect(a.isHealthy).toBe(false);
  });

  it('counts a check with no answer within the timeout as a failure', async () => {
    const server = await CheckedBackend.start();
    servers.push(server);
    server.isSilent = true;
    const log = new EventLog();
    const pool = makePool('web', { health: { path: '/healthz', interval: '40ms', timeout: '20ms', fall: 1 }, backends: [{ id: 'a', url: server.url }] });
    const health = new HealthCoordinator({ onChange: log.record });
    coordinators.push(health);
    health.setPools([pool]);
    health.start();
    const down = await log.next('a', 'down');
    expect(down.reason).toContain('no answer within 20ms');
  });

  it('counts only statuses inside expected_status as passing', async () => {
    const server = await CheckedBackend.start();
    servers.push(server);
    server.status = 301;
    const log = new EventLog();
    const pool = makePool('web', { health: { path: '/', interval: '30ms', timeout: '20ms', fall: 1, expected_status: '200' }, backends: [{ id: 'a', url: server.url }] });
    const health = new HealthCoordinator({ onChange: log.record });
    coordinators.push(health);
    health.setPools([pool]);
    health.start();
    expect((await log.next('a', 'down')).reason).toContain('status 301');
  });

  it('stops checking a backend that a reload removed', async () => {
    const server = await CheckedBackend.start();
    servers.push(server);
    const pool = makePool('web', { health: { path: '/', interval: '20ms', timeout: '10ms' }, backends: [{ id: 'a', url: server.url }, { id: 'b' }] });
    const health = new HealthCoordinator();
    coordinators.push(health);
    health.setPools([pool]);
    health.start();
    await server.waitForChecks(2);
    pool.members.backends = pool.members.backends.slice(1);
    health.setPools([pool]);
    const seen = server.checks;
    // Wait for several intervals of another server being checked instead of sleeping blindly.
    const witness = await CheckedBackend.start();
    servers.push(witness);
    const other = makePool('other', { health: { path: '/', interval: '20ms', timeout: '10ms' }, backends: [{ id: 'w', url: witness.url }] });
    health.setPools([makePool('web', { health: { path: '/', interval: '20ms', timeout: '10ms' }, backends: [{ id: 'b' }] }), other]);
    await witness.waitForChecks(5);
    expect(server.checks).toBeLessThanOrEqual(seen + 1);
  });
});

describe('slow start, panic and reloads', () => {
  it('does not ramp backends present at boot but ramps one added later, monotonically to full', () => {
    const clock = new ManualClock();
    const pool = makePool('web', { slow_start: '30s', backends: [{ id: 'a' }] });
    const health = new HealthCoordinator({ now: clock.now });
    health.setPools([pool]);
    expect(backendOf(pool, 'a').effectiveWeight).toBe(100);
    const added = new BackendState('web', 'new', 'http://127.0.0.1:10001', 100);
    pool.members.backends = [...pool.members.backends, added];
    health.setPools([pool]);
    const weights: number[] = [];
    for (let step = 0; step <= 31; step++) {
      weights.push(added.effectiveWeight);
      clock.advance(1_000);
      health.tick();
    }
    expect(weights[0]).toBeGreaterThan(0);
    expect(weights[0]).toBeLessThanOrEqual(10);
    for (let i = 1; i < weights.length; i++) expect(weights[i]).toBeGreaterThanOrEqual(weights[i - 1]);
    expect(weights.at(-1)).toBe(100);
  });

  it('panics when the healthy share of weight falls below the threshold and recovers above it', () => {
    const clock = new ManualClock();
    const log = new EventLog();
    const pool = makePool('web', { panic_threshold: 0.5, slow_start: '0s', outlier: { consecutive_failures: 1, max_ejected_share: 1 }, backends: [{ id: 'a', weight: 300 }, { id: 'b' }, { id: 'c' }] });
    const health = new HealthCoordinator({ now: clock.now, onChange: log.record });
    health.setPools([pool]);
    health.observer.recordOutcome(backendOf(pool, 'b'), true);
    expect(pool.members.isPanicking).toBe(false);
    health.observer.recordOutcome(backendOf(pool, 'a'), true);
    expect(pool.members.isPanicking).toBe(true);
    clock.advance(30_000);
    health.tick();
    expect(pool.members.isPanicking).toBe(false);
    expect(log.kinds()).toEqual(['b:ejected', 'a:ejected', '*:panic', 'a:returned', 'b:returned', '*:panic_over']);
  });

  it('counts every fall from healthy, by checks or by ejection, in healthDowns (what the flapping rule reads)', () => {
    const clock = new ManualClock();
    const pool = makePool('web', { panic_threshold: 0, slow_start: '0s', outlier: { consecutive_failures: 1, base_ejection: '10s', max_ejected_share: 1 }, backends: [{ id: 'a' }, { id: 'b' }] });
    const health = new HealthCoordinator({ now: clock.now });
    health.setPools([pool]);
    const a = backendOf(pool, 'a');
    for (let round = 1; round <= 3; round++) {
      health.observer.recordOutcome(a, true);
      expect(a.isHealthy).toBe(false);
      // A failure while already ejected is not another fall.
      health.observer.recordOutcome(a, true);
      expect(a.healthDowns).toBe(round);
      clock.advance(10_000 * 2 ** (round - 1));
      health.tick();
      expect(a.isHealthy).toBe(true);
    }
    expect(backendOf(pool, 'b').healthDowns).toBe(0);
  });

  it('keeps a backend ejected across a reload that keeps its pool and id', () => {
    const clock = new ManualClock();
    const pool = makePool('web', { outlier: { consecutive_failures: 1 }, panic_threshold: 0, backends: [{ id: 'a' }, { id: 'b' }] });
    const health = new HealthCoordinator({ now: clock.now });
    health.setPools([pool]);
    health.observer.recordOutcome(backendOf(pool, 'a'), true);
    const reloaded = makePool('web', { outlier: { consecutive_failures: 1 }, panic_threshold: 0, backends: [{ id: 'a', weight: 50 }, { id: 'b' }] });
    health.setPools([reloaded]);
    expect(backendOf(reloaded, 'a').isHealthy).toBe(false);
    expect(backendOf(reloaded, 'b').effectiveWeight).toBe(100);
  });

  it('sends health to workers as JSON and applies it there', () => {
    const pool = makePool('web', { outlier: { consecutive_failures: 1 }, panic_threshold: 0, backends: [{ id: 'a' }, { id: 'b', drain: true }, { id: 'c' }] });
    const health = new HealthCoordinator();
    health.setPools([pool]);
    health.observer.recordOutcome(backendOf(pool, 'a'), true);
    const snapshot = JSON.parse(JSON.stringify(health.exportHealth())) as HealthSnapshot;
    const worker = makePool('web', { backends: [{ id: 'a' }, { id: 'b', drain: true }, { id: 'c' }] });
    const versionBefore = worker.members.version;
    applyHealth(snapshot, [worker.members]);
    expect(worker.members.backends.map((b) => [b.isHealthy, b.effectiveWeight])).toEqual([[false, 0], [true, 0], [true, 100]]);
    expect(worker.members.version).toBeGreaterThan(versionBefore);
  });

  it('lets a worker report failure streaks that the primary turns into ejections', () => {
    const pool = makePool('web', { outlier: { consecutive_failures: 3 }, panic_threshold: 0, backends: [{ id: 'a' }, { id: 'b' }] });
    const primary = new HealthCoordinator();
    primary.setPools([pool]);
    const workerMembers = new PoolMembers('web', [new BackendState('web', 'a', 'http://127.0.0.1:10000', 100)]);
    const tracker = new PassiveTracker((poolName, backendId) => primary.reportFailureStreak(poolName, backendId));
    tracker.setPools({ pools: { web: pool.config } });
    const a = workerMembers.backends[0];
    tracker.recordOutcome(a, true);
    tracker.recordOutcome(a, true);
    tracker.recordOutcome(a, false);
    tracker.recordOutcome(a, true);
    tracker.recordOutcome(a, true);
    expect(backendOf(pool, 'a').isHealthy).toBe(true);
    tracker.recordOutcome(a, true);
    expect(backendOf(pool, 'a').isHealthy).toBe(false);
  });
});
