// The proxy records one sample per client request into a real Telemetry: after the pick, with the
// key its pool's balancer looks at, and never twice for a retried request.
import { afterEach, describe, expect, it } from 'vitest';
import { ProxyServer } from '../../src/proxy/index.js';
import { NO_SAMPLE_KEY, Telemetry } from '../../src/telemetry/index.js';
import { makeSnapshot, parseConfig, refusingPort, RecordingOutcomes, startBackend, type Backend } from '../proxy/fixture.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await (cleanups.pop() as () => Promise<void>)();
});

async function startSampledProxy(pool: Record<string, unknown>, urls: string[]) {
  const telemetry = new Telemetry();
  const config = parseConfig({ pools: { portal: { ...pool, backends: urls.map((url, i) => ({ id: `web-${i + 1}`, url })) } } });
  const server = new ProxyServer({ snapshot: makeSnapshot(config), telemetry, outcomes: new RecordingOutcomes() });
  const address = await server.listenHttp('127.0.0.1', 0);
  cleanups.push(() => server.close(1000));
  return { telemetry, url: `http://127.0.0.1:${address.port}` };
}

async function startOkBackend(): Promise<Backend> {
  const backend = await startBackend((_req, res) => res.end('ok'));
  cleanups.push(() => backend.close());
  return backend;
}

describe('request sample recorded by the proxy', () => {
  it('records each request with its backend, and a client coming back with its cookie under the same key, pinned', async () => {
    const backends = [await startOkBackend(), await startOkBackend()];
    const { telemetry, url } = await startSampledProxy({ persistence: { by: 'cookie' } }, backends.map((b) => b.url));
    const first = await fetch(`${url}/cart`);
    await first.text();
    const cookie = (first.headers.get('set-cookie') as string).split(';')[0];
    for (let i = 0; i < 3; i++) await (await fetch(`${url}/cart`, { headers: { cookie: `theme=dark; ${cookie}` } })).text();

    const [portal] = telemetry.requestSample.read();
    expect(portal.pool).toBe('portal');
    // Times are wall-clock arrival times, in order.
    expect(Math.abs(portal.requests[0].atMs - Date.now())).toBeLessThan(60_000);
    for (let i = 1; i < portal.requests.length; i++) expect(portal.requests[i].atMs).toBeGreaterThanOrEqual(portal.requests[i - 1].atMs);
    expect(portal.requests).toHaveLength(4);
    const [fresh, ...returning] = portal.requests;
    expect(fresh).toMatchObject({ keyHash: NO_SAMPLE_KEY, isPinned: false, inflight: 1 });
    for (const request of returning) {
      expect(request).toMatchObject({ backend: fresh.backend, isPinned: true, isSpilled: false, inflight: 1 });
      expect(request.keyHash).toBe(returning[0].keyHash);
      expect(request.keyHash).toBeGreaterThanOrEqual(0);
    }
  });

  it('records a retried request once, with the backend first picked', async () => {
    const good = await startOkBackend();
    const refused = `http://127.0.0.1:${await refusingPort()}`;
    const { telemetry, url } = await startSampledProxy({ algorithm: 'round-robin', retry: { attempts: 1 } }, [refused, good.url]);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const response = await fetch(`${url}/`);
      await response.text();
      statuses.push(response.status);
    }
    expect(statuses).toEqual([200, 200, 200, 200]);
    const requests = telemetry.requestSample.read()[0].requests;
    expect(requests).toHaveLength(4);
    expect(requests.map((r) => r.backend).sort()).toEqual(['web-1', 'web-1', 'web-2', 'web-2']);
    expect(requests.every((r) => r.keyHash === NO_SAMPLE_KEY)).toBe(true);
  });
});
