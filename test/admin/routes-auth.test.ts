import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken, revokeToken } from '../../src/control/index.js';
import { startAdminFixture, type AdminFixture } from './admin-fixture.js';

// The rule: /metrics and /healthz stay open; every other route needs a bearer token with the
// right role. The routes are collected from Fastify's onRoute hook, so a route added later without
// auth fails this test without anyone having to remember to list it here.

const PUBLIC_ROUTES = ['/', '/healthz', '/metrics', '/api/v1/openapi.json', '/dashboard', '/dashboard/', '/dashboard/*'];
const PUBLIC = new Set(PUBLIC_ROUTES.flatMap((url) => [`GET ${url}`, `HEAD ${url}`]));

/** Every route of /tmp/api-contract.md (GET routes also answer HEAD). */
const CONTRACT_ROUTES = [
  'GET /api/v1/config',
  'GET /api/v1/config/versions',
  'GET /api/v1/config/versions/:version',
  'POST /api/v1/changes',
  'GET /api/v1/changes',
  'GET /api/v1/changes/:id',
  'POST /api/v1/changes/:id/approve',
  'POST /api/v1/changes/:id/reject',
  'POST /api/v1/changes/:id/apply',
  'POST /api/v1/rollback',
  'GET /api/v1/events',
  'GET /api/v1/events/verify',
  'GET /api/v1/tokens',
  'POST /api/v1/tokens',
  'DELETE /api/v1/tokens/:idOrName',
  'GET /api/v1/pools',
  'GET /api/v1/stats',
  'GET /api/v1/stats/stream',
  'GET /api/v1/alerts',
  'GET /api/v1/drills/scenarios',
  'POST /api/v1/drills',
  'GET /api/v1/drills/current',
  'GET /api/v1/drills',
  'GET /api/v1/drills/:id',
  'GET /api/v1/drills/:id/report',
  'GET /api/v1/whoami',
  'GET /api/v1/openapi.json',
  'GET /healthz',
  'GET /metrics',
];

let fixture: AdminFixture;
let revoked: string;

beforeAll(async () => {
  fixture = await startAdminFixture();
  revoked = (await createToken(fixture.store, { name: 'gone', role: 'admin', createdBy: 'test' })).token;
  await revokeToken(fixture.store, { idOrName: 'gone', revokedBy: 'test' });
});

afterAll(async () => {
  await fixture.close();
});

function registered(): { method: string; url: string; key: string }[] {
  return fixture.routes.flatMap((route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    return methods.map((method) => ({ method, url: route.url, key: `${method} ${route.url}` }));
  });
}

/** A concrete URL for a route pattern (`:id` -> 1, `:idOrName` -> viewer, ...). */
function concrete(url: string): string {
  return url.replace(':idOrName', 'viewer').replace(/:[a-zA-Z]+/g, '1');
}

describe('admin API authentication and roles', () => {
  it('registers every route of the API contract', () => {
    const keys = new Set(registered().map((route) => route.key));
    for (const route of CONTRACT_ROUTES) expect(keys, route).toContain(route);
  });

  it('answers 401 EK_AUTH_REQUIRED on every route but /, /healthz, /metrics and /api/v1/openapi.json when no token is sent', async () => {
    const guarded = registered().filter((route) => !PUBLIC.has(route.key));
    expect(guarded.length).toBeGreaterThanOrEqual(CONTRACT_ROUTES.length - 3);
    for (const route of guarded) {
      const response = await fixture.call(route.method, concrete(route.url), { body: route.method === 'GET' || route.method === 'HEAD' ? undefined : {} });
      expect(response.status, route.key).toBe(401);
      if (route.method !== 'HEAD') expect(response.body, route.key).toMatchObject({ code: 'EK_AUTH_REQUIRED' });
    }
  });

  it('answers 401 EK_AUTH_INVALID on every guarded route to a revoked token and to a made-up one', async () => {
    const guarded = registered().filter((route) => !PUBLIC.has(route.key));
    for (const token of [revoked, 'ek_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']) {
      for (const route of guarded) {
        const response = await fixture.call(route.method, concrete(route.url), { token, body: route.method === 'GET' || route.method === 'HEAD' ? undefined : {} });
        expect(response.status, route.key).toBe(401);
        if (route.method !== 'HEAD') expect(response.body, route.key).toMatchObject({ code: 'EK_AUTH_INVALID' });
      }
    }
  });

  it('answers 403 EK_AUTH_FORBIDDEN to a viewer on every mutating route, naming the roles needed', async () => {
    const mutating = registered().filter((route) => !['GET', 'HEAD', 'OPTIONS'].includes(route.method));
    expect(mutating.length).toBe(11);
    for (const route of mutating) {
      const response = await fixture.call(route.method, concrete(route.url), { role: 'viewer', body: {} });
      expect(response.status, route.key).toBe(403);
      expect(response.body.code, route.key).toBe('EK_AUTH_FORBIDDEN');
      expect(response.body.message, route.key).toMatch(/role viewer; .* needs one of: /);
    }
  });

  it('lets a viewer read but keeps token management for admins', async () => {
    expect((await fixture.call('GET', '/api/v1/config', { role: 'viewer' })).status).toBe(200);
    expect((await fixture.call('GET', '/api/v1/changes', { role: 'viewer' })).status).toBe(200);
    expect((await fixture.call('GET', '/api/v1/tokens', { role: 'operator' })).status).toBe(403);
    expect((await fixture.call('GET', '/api/v1/tokens', { role: 'approver' })).status).toBe(403);
    const listed = await fixture.call('GET', '/api/v1/tokens', { role: 'admin' });
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.body)).not.toMatch(/scrypt|secret/i);
  });

  it('keeps /healthz, /metrics, / and /api/v1/openapi.json open', async () => {
    expect((await fixture.call('GET', '/healthz')).status).toBe(200);
    expect((await fixture.call('GET', '/metrics')).status).toBe(200);
    expect((await fixture.call('GET', '/')).status).toBe(302);
    expect((await fixture.call('GET', '/api/v1/openapi.json')).status).toBe(200);
  });

  it('refuses a token from the request after it is revoked through the API, though it was just used', async () => {
    const created = await fixture.call('POST', '/api/v1/tokens', { role: 'admin', body: { name: 'short-lived', role: 'viewer' } });
    expect(created.status).toBe(201);
    const token = created.body.token as string;
    expect((await fixture.call('GET', '/api/v1/config', { token })).status).toBe(200);
    const revokedNow = await fixture.call('DELETE', '/api/v1/tokens/short-lived', { role: 'admin' });
    expect(revokedNow.status).toBe(200);
    expect(revokedNow.body.revokedAt).toEqual(expect.any(Number));
    const after = await fixture.call('GET', '/api/v1/config', { token });
    expect(after).toMatchObject({ status: 401, body: { code: 'EK_AUTH_INVALID' } });
  });

  it('accepts the token as ?token= on the stats stream only', async () => {
    const viaQuery = await fetch(`${fixture.base}/api/v1/config?token=${fixture.tokens.viewer}`);
    expect(viaQuery.status).toBe(401);
    await viaQuery.arrayBuffer();
    const controller = new AbortController();
    const stream = await fetch(`${fixture.base}/api/v1/stats/stream?token=${fixture.tokens.viewer}`, { signal: controller.signal });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    controller.abort();
  });
});
