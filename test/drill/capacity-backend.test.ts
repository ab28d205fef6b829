import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { CapacityBackend, DrillError } from '../../src/drill/index.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function startBackend(options: Parameters<typeof CapacityBackend.start>[0]) {
  const backend = await CapacityBackend.start(options);
  cleanups.push(() => backend.stop());
  const agent = new Agent({ connections: 64 });
  cleanups.push(() => agent.close());
  const get = async (path = '/') => {
    const startMs = performance.now();
    const response = await request(`${backend.url}${path}`, { dispatcher: agent });
    const body = await response.body.text();
    return { status: response.statusCode, body, backend: response.headers['x-backend'], latencyMs: performance.now() - startMs };
  };
  return { backend, get };
}

// Service times of ~40 ms with almost no spread, so queueing is the only source of extra latency.
const STEADY = { medianMs: 40, p99Ms: 41 };

describe('capacity backend', () => {
  it('serves at most maxConcurrency requests at once and queues the rest, so its latency grows with the load', async () => {
    const { backend, get } = await startBackend({ name: 'web-1', maxConcurrency: 2, serviceTime: STEADY });
    await Promise.all([get(), get()]); // opens the connections
    backend.resetCounts();
    const light = await Promise.all([get(), get()]);
    const heavy = await Promise.all(Array.from({ length: 10 }, () => get()));
    const slowestLight = Math.max(...light.map((answer) => answer.latencyMs));
    const slowestHeavy = Math.max(...heavy.map((answer) => answer.latencyMs));
    // 10 requests through 2 slots of 40 ms: the last pair waits four service times before its own.
    expect(slowestHeavy).toBeGreaterThanOrEqual(195);
    expect(slowestHeavy).toBeGreaterThan(2 * slowestLight);
    expect(backend.counters()).toMatchObject({ served: 12, errors: 0, maxQueued: 8 });
    expect(heavy.every((answer) => answer.status === 200 && answer.backend === 'web-1')).toBe(true);
  });

  it('answers /healthz at once even while its queue is long, like a health endpoint beside the workers', async () => {
    const { backend, get } = await startBackend({ name: 'web-2', maxConcurrency: 1, serviceTime: { medianMs: 100, p99Ms: 101 } });
    const queued = Array.from({ length: 5 }, () => get());
    await new Promise<void>((resolve) => {
      const poll = () => (backend.queued >= 4 ? resolve() : setTimeout(poll, 5));
      poll();
    });
    const health = await get('/healthz');
    expect(health.status).toBe(200);
    expect(health.latencyMs).toBeLessThan(50);
    await Promise.all(queued);
    expect(backend.counters().healthChecks).toBe(1);
  });

  it('slows down, fails and crashes when told to at run time, and comes back on the same port', async () => {
    const { backend, get } = await startBackend({ name: 'web-3', maxConcurrency: 4, serviceTime: { medianMs: 2, p99Ms: 3 } });
    expect((await get()).latencyMs).toBeLessThan(40);
    backend.set({ serviceTime: { medianMs: 80, p99Ms: 81 } });
    expect((await get()).latencyMs).toBeGreaterThan(70);
    backend.set({ errorRate: 1, serviceTime: { medianMs: 1, p99Ms: 2 } });
    expect((await get()).status).toBe(500);
    expect(backend.counters().errors).toBe(1);
    const port = backend.port;
    await backend.crash();
    // A kept-alive connection is cut (UND_ERR_SOCKET) or a new one refused, as with a dead process.
    const failure = await get().then(() => undefined, (error: { code?: string }) => error.code);
    expect(['ECONNREFUSED', 'UND_ERR_SOCKET']).toContain(failure);
    await backend.restart();
    backend.set({ errorRate: 0 });
    expect(backend.port).toBe(port);
    expect((await get()).status).toBe(200);
  });

  it('refuses a capacity model it cannot serve with, naming the value', async () => {
    await expect(CapacityBackend.start({ name: 'bad', maxConcurrency: 0 })).rejects.toThrow(DrillError);
    await expect(CapacityBackend.start({ name: 'bad', serviceTime: { medianMs: 50, p99Ms: 10 } })).rejects.toThrow(/median 50 ms and p99 10 ms/);
  });
});
