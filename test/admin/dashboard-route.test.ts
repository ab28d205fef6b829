import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerDashboardRoutes } from '../../src/admin/dashboard-route.js';
import { startAdminFixture, type AdminFixture } from './admin-fixture.js';

// The dashboard's static files are public (they hold no data); the API calls they make need a token.
// GET /api/v1/whoami tells the page who signed in and what the role allows.

let fixture: AdminFixture;
beforeAll(async () => {
  fixture = await startAdminFixture();
});
afterAll(async () => {
  await fixture.close();
});

async function servedFrom(dir: string): Promise<{ app: FastifyInstance; base: string }> {
  const app = Fastify({ logger: false });
  registerDashboardRoutes(app, { dir });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address() as { port: number };
  return { app, base: `http://127.0.0.1:${address.port}` };
}

describe('the dashboard route', () => {
  it('serves the built page and its assets without a token, and sends / there', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evenkeel-dashboard-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>evenkeel dashboard</title>');
    writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
    const { app, base } = await servedFrom(dir);
    try {
      const root = await fetch(`${base}/`, { redirect: 'manual' });
      expect(root.status).toBe(302);
      expect(root.headers.get('location')).toBe('/dashboard/');
      const page = await fetch(`${base}/dashboard/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(await page.text()).toContain('evenkeel dashboard');
      const asset = await fetch(`${base}/dashboard/assets/index-abc123.js`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('cache-control')).toContain('immutable');
      await asset.arrayBuffer();
      const missing = await fetch(`${base}/dashboard/assets/nope.js`);
      expect(missing.status).toBe(404);
      await missing.arrayBuffer();
      const escape = await fetch(`${base}/dashboard/..%2f..%2fetc%2fpasswd`);
      expect(escape.status).not.toBe(200);
      await escape.arrayBuffer();
    } finally {
      await app.close();
    }
  });

  it('answers 503 saying to run npm run build when the dashboard is not built', async () => {
    const { app, base } = await servedFrom(join(tmpdir(), 'evenkeel-dashboard-never-built'));
    try {
      const page = await fetch(`${base}/dashboard/`);
      expect(page.status).toBe(503);
      expect(await page.text()).toContain('npm run build');
    } finally {
      await app.close();
    }
  });

  it('is served by the admin API of a node', async () => {
    const root = await fetch(`${fixture.base}/`, { redirect: 'manual' });
    expect(root.headers.get('location')).toBe('/dashboard/');
    const page = await fetch(`${fixture.base}/dashboard/`);
    expect([200, 503]).toContain(page.status);
    await page.arrayBuffer();
  });
});

describe('GET /api/v1/whoami', () => {
  it("tells the token's name and role and what the role may do", async () => {
    const approver = await fixture.call('GET', '/api/v1/whoami', { role: 'approver' });
    expect(approver.status).toBe(200);
    expect(approver.body).toMatchObject({ name: 'approver', role: 'approver', can: { propose: true, approve: true, apply: true, manageTokens: false } });
    const viewer = await fixture.call('GET', '/api/v1/whoami', { role: 'viewer' });
    expect(viewer.body).toMatchObject({ role: 'viewer', can: { propose: false, approve: false, apply: false, manageTokens: false } });
    const automation = await fixture.call('GET', '/api/v1/whoami', { role: 'automation' });
    expect(automation.body.can).toEqual({ propose: true, approve: false, apply: false, manageTokens: false });
    expect(JSON.stringify(approver.body)).not.toMatch(/secret|scrypt/i);
  });

  it('refuses a call without a token', async () => {
    expect(await fetch(`${fixture.base}/api/v1/whoami`).then((response) => response.status)).toBe(401);
  });
});
