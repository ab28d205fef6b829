import { afterEach, describe, expect, it } from 'vitest';
import { revokeToken } from '../../src/control/index.js';
import { startAdminFixture, type AdminFixture } from './admin-fixture.js';

let fixture: AdminFixture | undefined;

afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

/** Reads server-sent events from a stream until `count` `data:` lines arrived. */
async function readEvents(body: ReadableStream<Uint8Array>, count: number): Promise<unknown[]> {
  const events: unknown[] = [];
  const decoder = new TextDecoder();
  let buffered = '';
  const reader = body.getReader();
  while (events.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      if (block.startsWith('data: ')) events.push(JSON.parse(block.slice(6)));
    }
  }
  reader.releaseLock();
  return events;
}

describe('OpenAPI document', () => {
  it('is served without a token and describes every guarded route with bearer auth', async () => {
    fixture = await startAdminFixture({ roles: ['viewer'] });
    const { status, body } = await fixture.call('GET', '/api/v1/openapi.json');
    expect(status).toBe(200);
    expect(body.openapi).toMatch(/^3\./);
    expect(body.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    const paths = Object.keys(body.paths);
    for (const path of ['/api/v1/config', '/api/v1/config/versions/{version}', '/api/v1/changes', '/api/v1/changes/{id}/approve', '/api/v1/rollback', '/api/v1/events/verify', '/api/v1/tokens/{idOrName}', '/api/v1/stats/stream']) {
      expect(paths).toContain(path);
    }
    const propose = body.paths['/api/v1/changes'].post;
    expect(propose.requestBody.content['application/json'].schema.required).toEqual(['reason']);
    expect(Object.keys(propose.responses)).toEqual(expect.arrayContaining(['201', '400', '401', '403', '404', '409', '422']));
    expect(body.paths['/healthz'].get.security).toEqual([]);
    const alerts = body.paths['/api/v1/alerts'].get;
    expect(alerts.parameters.map((parameter: { name: string }) => parameter.name).sort()).toEqual(['limit', 'state']);
    expect(Object.keys(alerts.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403']));
  });
});

describe('live stats', () => {
  it('answers /api/v1/stats with every backend of every pool', async () => {
    fixture = await startAdminFixture({ roles: ['viewer'] });
    const { status, body } = await fixture.call('GET', '/api/v1/stats', { role: 'viewer' });
    expect(status).toBe(200);
    expect(body.pools).toHaveLength(1);
    expect(body.pools[0].pool).toBe('web');
    expect(body.pools[0].backends.map((backend: { backend: string }) => backend.backend)).toEqual(['web-1', 'web-2', 'web-3', 'web-4']);
    expect(body.pools[0].backends[0]).toEqual({
      backend: 'web-1',
      effectiveWeight: 100,
      expectedShare: 0.25,
      observedShare: 0,
      requests: 0,
      rps: 0,
      inflight: 0,
      p95Ms: 0,
      pinned: 0,
      pinnedShare: 0,
      spilled: 0,
      health: 'healthy',
    });
    // Without a monitor: the window's own rate, no baseline, no alerts.
    expect(body.traffic).toEqual({ rps: 0, baselineRps: null });
    expect(body.alerts).toEqual([]);
  });

  it('streams one stats event per interval and ends the stream when the server closes', async () => {
    fixture = await startAdminFixture({ roles: ['viewer'], statsIntervalMs: 50 });
    const response = await fetch(`${fixture.base}/api/v1/stats/stream`, { headers: { authorization: `Bearer ${fixture.tokens.viewer}` } });
    expect(response.status).toBe(200);
    const events = (await readEvents(response.body!, 3)) as { at: number; pools: unknown[] }[];
    expect(events).toHaveLength(3);
    expect(events[0]!.pools).toHaveLength(1);
    expect(events[2]!.at).toBeGreaterThanOrEqual(events[0]!.at);
    expect(fixture.server.openStreams).toBe(1);
    const startedMs = Date.now();
    await fixture.server.close();
    // The open stream must not hold the server (and a stopping node) for its keep-alive.
    expect(Date.now() - startedMs).toBeLessThan(1000);
    const reader = response.body!.getReader();
    let isDone = false;
    for (let reads = 0; reads < 100 && !isDone; reads++) isDone = (await reader.read().catch(() => ({ done: true }))).done;
    expect(isDone).toBe(true);
    await fixture.store.close();
    fixture = undefined;
  });

  it('ends a stream whose token is revoked while it is open', async () => {
    fixture = await startAdminFixture({ roles: ['viewer'], statsIntervalMs: 50 });
    const response = await fetch(`${fixture.base}/api/v1/stats/stream?token=${fixture.tokens.viewer}`);
    expect(response.status).toBe(200);
    expect(await readEvents(response.body!, 1)).toHaveLength(1);
    await revokeToken(fixture.store, { idOrName: 'viewer', revokedBy: 'test' });
    const reader = response.body!.getReader();
    let isDone = false;
    for (let reads = 0; reads < 100 && !isDone; reads++) isDone = (await reader.read()).done;
    expect(isDone).toBe(true);
    expect(fixture.server.openStreams).toBe(0);
  });
});
