import { afterEach, describe, expect, it } from 'vitest';
import { BackendState, PoolMembers } from '../../src/balance/index.js';
import { Telemetry, createMetricsRegistry } from '../../src/telemetry/index.js';
import { startAdminServer, type AdminPoolSource, type AdminServer, type PoolsStatus } from '../../src/admin/index.js';
import { parseConfigText } from '../../src/config/index.js';
import { createChangeService, createToken, openStore, simulateImpact, type Store } from '../../src/control/index.js';
import type { ChangeService } from '../../src/control/index.js';
import { FIXTURE_YAML } from './admin-fixture.js';

const T0 = 1_700_000_000_000;
const servers: AdminServer[] = [];
let control: { store: Store; changes: ChangeService; auth: { authorization: string } } | undefined;

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
  await control?.store.close();
  control = undefined;
});

/** A store with one viewer token and a change service: what the routes besides /api/v1/pools need. */
async function openControl() {
  const store = await openStore('sqlite::memory:');
  const config = parseConfigText(FIXTURE_YAML, 'fixture.yaml');
  const changes = await createChangeService({ store, applyLive: () => undefined, simulate: (live, proposed, { maxShareRatio }) => simulateImpact(live, proposed, [], { maxShareRatio }), initialConfig: { config } });
  const { token } = await createToken(store, { name: 'reader', role: 'viewer', createdBy: 'test' });
  control = { store, changes, auth: { authorization: `Bearer ${token}` } };
  return control;
}

/** A pool of three backends: web-1 (100), web-2 (100, draining), web-3 (200); traffic 30 / 0 / 10 in the last 30 s. */
function fixture() {
  const clock = { nowMs: T0 };
  const telemetry = new Telemetry({ now: () => clock.nowMs });
  const web1 = new BackendState('portal', 'web-1', 'http://127.0.0.1:8001', 100);
  const web2 = new BackendState('portal', 'web-2', 'http://127.0.0.1:8002', 100);
  const web3 = new BackendState('portal', 'web-3', 'http://127.0.0.1:8003', 200);
  web2.isDraining = true;
  web3.inflight = 4;
  const members = new PoolMembers('portal', [web1, web2, web3]);
  const pools: AdminPoolSource[] = [{ name: 'portal', config: { algorithm: 'round-robin' }, members }];
  // Older than the 30 s window: must not count.
  for (let i = 0; i < 50; i++) telemetry.recordRequest(web1, 200, 2, 0, 0, false, false);
  clock.nowMs = T0 + 60_000;
  for (let i = 0; i < 30; i++) telemetry.recordRequest(web1, 200, 2, 0, 0, false, false);
  for (let i = 0; i < 10; i++) telemetry.recordRequest(web3, 200, 2, 0, 0, false, false);
  return { telemetry, pools, members, web1, web3 };
}

async function start(telemetry: Telemetry, pools: AdminPoolSource[]) {
  const registry = createMetricsRegistry(telemetry, () => pools);
  const { store, changes, auth } = await openControl();
  const server = await startAdminServer({ host: '127.0.0.1', port: 0, registry, telemetry, pools: () => pools, store, changes });
  servers.push(server);
  return { server, base: `http://127.0.0.1:${server.address.port}`, auth, store, changes };
}

describe('admin server', () => {
  it('answers /healthz with status ok', async () => {
    const { telemetry, pools } = fixture();
    const { base } = await start(telemetry, pools);
    const response = await fetch(`${base}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('serves Prometheus text at /metrics with the exposition content type', async () => {
    const { telemetry, pools } = fixture();
    const { base } = await start(telemetry, pools);
    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await response.text();
    expect(text).toContain('evenkeel_backend_requests_total{pool="portal",backend="web-1",code_class="2xx"} 80');
    expect(text).toContain('evenkeel_backend_inflight{pool="portal",backend="web-3"} 4');
  });

  it('lists pools with expected shares from selectable weights and observed shares over the last 30 seconds', async () => {
    const { telemetry, pools } = fixture();
    const { base, auth } = await start(telemetry, pools);
    const body = (await (await fetch(`${base}/api/v1/pools`, { headers: auth })).json()) as PoolsStatus;
    expect(body.windowSeconds).toBe(30);
    expect(body.pools).toHaveLength(1);
    const [portal] = body.pools;
    expect(portal).toMatchObject({ name: 'portal', algorithm: 'round-robin', isPanicking: false, requests: 40 });
    const byId = Object.fromEntries(portal.backends.map((b) => [b.id, b]));
    // Draining web-2 has no selectable weight: 100 and 200 out of 300.
    expect(byId['web-1'].expectedShare).toBeCloseTo(1 / 3, 12);
    expect(byId['web-2'].expectedShare).toBe(0);
    expect(byId['web-3'].expectedShare).toBeCloseTo(2 / 3, 12);
    expect(byId['web-1']).toMatchObject({ requests: 30, observedShare: 0.75, url: 'http://127.0.0.1:8001', weight: 100, effectiveWeight: 100, isHealthy: true, isDraining: false });
    expect(byId['web-2']).toMatchObject({ requests: 0, observedShare: 0, isDraining: true });
    expect(byId['web-3']).toMatchObject({ requests: 10, observedShare: 0.25, inflight: 4 });
  });

  it('shows a reload at once because it reads the live pools on every request', async () => {
    const { telemetry, pools, members } = fixture();
    const { base, auth } = await start(telemetry, pools);
    members.backends[1].isDraining = false;
    members.touch();
    const body = (await (await fetch(`${base}/api/v1/pools`, { headers: auth })).json()) as PoolsStatus;
    expect(body.pools[0].backends.map((b) => b.expectedShare)).toEqual([0.25, 0.25, 0.5]);
  });

  it('redirects / to the dashboard', async () => {
    const { telemetry, pools } = fixture();
    const { base } = await start(telemetry, pools);
    const response = await fetch(`${base}/`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/dashboard/');
  });

  it('answers an unknown route with 404 and EK_ADMIN_NOT_FOUND', async () => {
    const { telemetry, pools } = fixture();
    const { base } = await start(telemetry, pools);
    const response = await fetch(`${base}/api/v1/nothing`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: 'EK_ADMIN_NOT_FOUND' });
  });

  it('fails to start with EK_ADMIN_LISTEN_FAILED when the port is taken', async () => {
    const { telemetry, pools } = fixture();
    const { server, store, changes } = await start(telemetry, pools);
    const registry = createMetricsRegistry(telemetry, () => pools);
    await expect(startAdminServer({ host: '127.0.0.1', port: server.address.port, registry, telemetry, pools: () => pools, store, changes })).rejects.toMatchObject({
      code: 'EK_ADMIN_LISTEN_FAILED',
    });
  });

  it('answers 500 with EK_ADMIN_INTERNAL and reports the error when reading the pools fails', async () => {
    const { telemetry } = fixture();
    const registry = createMetricsRegistry(telemetry, () => []);
    const seen: unknown[] = [];
    const { store, changes, auth } = await openControl();
    const server = await startAdminServer({
      host: '127.0.0.1',
      port: 0,
      registry,
      telemetry,
      store,
      changes,
      pools: () => {
        throw new Error('snapshot gone');
      },
      onError: (error) => seen.push(error),
    });
    servers.push(server);
    const response = await fetch(`http://127.0.0.1:${server.address.port}/api/v1/pools`, { headers: auth });
    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({ code: 'EK_ADMIN_INTERNAL' });
    expect(seen).toHaveLength(1);
  });
});
