import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CapacityBackend, SessionTraffic, zipfShares } from '../../src/drill/index.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** A server that gives every cookie-less request a new `sid` cookie and remembers what it saw. */
async function startSessionServer() {
  let issued = 0;
  const seen = { withCookie: 0, withoutCookie: 0 };
  const server: Server = createServer((request, response) => {
    const sid = /(?:^|; )sid=(\d+)/.exec(request.headers.cookie ?? '')?.[1];
    const headers: Record<string, string> = { 'content-type': 'text/plain', 'x-backend': sid === undefined ? 'new' : 'known' };
    if (sid === undefined) {
      seen.withoutCookie++;
      headers['set-cookie'] = `sid=${++issued}; Path=/; HttpOnly`;
    } else seen.withCookie++;
    request.resume();
    request.once('end', () => {
      response.writeHead(200, headers);
      response.end('ok');
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => new Promise<void>((done) => { server.close(() => done()); server.closeAllConnections(); }));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, seen, issued: () => issued };
}

function run(options: ConstructorParameters<typeof SessionTraffic>[0]) {
  const traffic = new SessionTraffic(options);
  cleanups.push(() => traffic.stop());
  return traffic;
}

describe('session traffic', () => {
  it('holds its offered rate within 5% on a fast server', async () => {
    const server = await startSessionServer();
    const stats = await run({ url: server.url, ratePerSecond: 400, durationMs: 2_000, sessions: 50 }).start();
    expect(stats.offered).toBeGreaterThanOrEqual(760);
    expect(stats.offered).toBeLessThanOrEqual(840);
    expect(stats.ok).toBe(stats.offered);
    expect(stats.failed).toBe(0);
  });

  it('keeps offering its rate when the server slows down (open loop), and counts what missed the SLO', async () => {
    // One slot of 50 ms serves 20 requests a second; 100 a second are offered.
    const backend = await CapacityBackend.start({ name: 'slow', maxConcurrency: 1, serviceTime: { medianMs: 50, p99Ms: 51 } });
    cleanups.push(() => backend.stop());
    const traffic = run({ url: `${backend.url}/`, ratePerSecond: 100, durationMs: 1_000, sloMs: 200, maxInflight: 1_000, timeoutMs: 10_000, backendHeader: 'x-backend' });
    const stats = await traffic.start();
    expect(stats.offered).toBeGreaterThanOrEqual(95);
    expect(stats.sent).toBe(stats.offered);
    expect(stats.slowerThanSlo).toBeGreaterThan(stats.sent / 2);
    expect(stats.latency.maxMs).toBeGreaterThan(2_000);
    expect(stats.byBackend).toEqual({ slow: stats.ok });
  });

  it('refuses requests beyond maxInflight instead of queueing them, and says why', async () => {
    const backend = await CapacityBackend.start({ name: 'stuck', maxConcurrency: 10, serviceTime: { medianMs: 800, p99Ms: 801 } });
    cleanups.push(() => backend.stop());
    const stats = await run({ url: `${backend.url}/`, ratePerSecond: 200, durationMs: 500, maxInflight: 10 }).start();
    expect(stats.sent).toBe(10);
    expect(stats.failedBy.inflight_limit).toBe(stats.offered - 10);
  });

  it('follows a new rate at once, for a spike', async () => {
    const server = await startSessionServer();
    const traffic = run({ url: server.url, ratePerSecond: 100, durationMs: 2_000 });
    const finished = traffic.start();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const before = traffic.snapshot().offered;
    traffic.setRate(300);
    const stats = await finished;
    expect(before).toBeGreaterThanOrEqual(90);
    expect(before).toBeLessThanOrEqual(110);
    expect(stats.offered - before).toBeGreaterThanOrEqual(270);
    expect(stats.offered - before).toBeLessThanOrEqual(330);
  });

  it('spreads requests over sessions by Zipf: the busiest tenth of sessions carry most requests', async () => {
    const server = await startSessionServer();
    const zipf = run({ url: server.url, ratePerSecond: 1_000, durationMs: 2_000, sessions: 100, zipfExponent: 1, seed: 7 });
    await zipf.start();
    const uniform = run({ url: server.url, ratePerSecond: 1_000, durationMs: 2_000, sessions: 100, zipfExponent: 0, seed: 7 });
    await uniform.start();
    const topTenthShare = (counts: Uint32Array) => {
      const sorted = [...counts].sort((a, b) => b - a);
      return sorted.slice(0, 10).reduce((sum, count) => sum + count, 0) / sorted.reduce((sum, count) => sum + count, 0);
    };
    const expected = zipfShares(100, 1).slice(0, 10).reduce((sum, share) => sum + share, 0); // 0.56
    expect(topTenthShare(zipf.requestsBySession())).toBeGreaterThan(expected - 0.05);
    expect(topTenthShare(zipf.requestsBySession())).toBeLessThan(expected + 0.05);
    expect(topTenthShare(uniform.requestsBySession())).toBeLessThan(0.2);
    // Rank 0 is the busiest session.
    expect(zipf.requestsBySession()[0]).toBe(Math.max(...zipf.requestsBySession()));
  });

  it('keeps cookies per session: each session sends back the cookie it was given, and forgets it when renewed', async () => {
    const server = await startSessionServer();
    const traffic = run({ url: server.url, ratePerSecond: 200, durationMs: 1_000, sessions: 20, zipfExponent: 0.5, seed: 3, maxInflight: 1 });
    const stats = await traffic.start();
    const sids = Array.from({ length: 20 }, (_, index) => traffic.jar(index).get('sid'));
    const used = [...traffic.requestsBySession()].filter((count) => count > 0).length;
    expect(sids.filter((sid) => sid !== undefined)).toHaveLength(used);
    expect(new Set(sids.filter((sid) => sid !== undefined)).size).toBe(used);
    // With one request out at a time, each session asks without a cookie exactly once.
    expect(server.seen.withoutCookie).toBe(used);
    expect(server.seen.withCookie).toBe(stats.sent - used);
    expect(traffic.renewSessions(1)).toBe(20);
    expect(traffic.jar(0).get('sid')).toBeUndefined();
  });
});
