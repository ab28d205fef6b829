import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackendState, PoolMembers } from '../../src/balance/index.js';
import { parseConfigText } from '../../src/config/index.js';
import { createChangeService, createToken, openStore, recordAlertTransition, simulateImpact, type Store } from '../../src/control/index.js';
import { startAdminServer, type AdminMonitorSource, type AdminServer } from '../../src/admin/index.js';
import type { Alert, AlertState } from '../../src/monitor/index.js';
import { Telemetry, createMetricsRegistry } from '../../src/telemetry/index.js';
import { FIXTURE_YAML } from './admin-fixture.js';

// GET /api/v1/alerts and the monitor's part of /api/v1/stats, against a real admin server and store
// with a stand-in monitor (the node passes its Monitor; tests need only its three reads).

const NOW = Date.now();

function alert(state: AlertState, startedAt: number, overrides: Partial<Alert> = {}): Alert {
  return {
    fingerprint: 'skew/web/*',
    rule: 'skew',
    severity: 'critical',
    pool: 'web',
    backend: undefined,
    state,
    startedAt,
    firingAt: state === 'pending' ? undefined : startedAt + 3000,
    resolvedAt: state === 'resolved' ? startedAt + 60_000 : undefined,
    summary: 'Traffic normal (200 rps, baseline 198). web-1 and web-2 carry 81% of requests, expected 50%.',
    evidence: { observedShare: 0.81, expectedShare: 0.5, ratio: Infinity },
    backends: ['web-1', 'web-2'],
    causes: [{ kind: 'config_change', summary: "change 2 (automation 'weights.sh', 09:58) raised web-1 and web-2 weights 100 -> 400", score: 0.9, changeId: 2 }],
    actions: [{ kind: 'rollback', at: startedAt + 4000, summary: 'rolled back change 2: version 1 restored as version 3 (change 3)', changeId: 2, rollbackChangeId: 3 }],
    ...overrides,
  };
}

const live = alert('firing', NOW - 10_000);
const monitor: AdminMonitorSource = {
  alerts: () => [live, alert('pending', NOW - 1000, { fingerprint: 'latency/web/web-1', rule: 'latency', backend: 'web-1', actions: [], causes: [] })],
  recent: () => [alert('pending', NOW - 1000, { fingerprint: 'latency/web/web-1', rule: 'latency', backend: 'web-1' }), live],
  traffic: () => ({ rps: 201.5, baselineRps: 198.25 }),
};

let store: Store;
let server: AdminServer;
let viewer: string;
let base: string;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- bodies are checked field by field
async function get(path: string, token: string | null = viewer): Promise<{ status: number; body: any }> {
  const response = await fetch(base + path, { headers: token === null ? {} : { authorization: `Bearer ${token}` } });
  return { status: response.status, body: await response.json() };
}

beforeAll(async () => {
  store = await openStore('sqlite::memory:');
  const config = parseConfigText(FIXTURE_YAML, 'fixture.yaml');
  const changes = await createChangeService({ store, applyLive: () => undefined, simulate: (a, b, { maxShareRatio }) => simulateImpact(a, b, [], { maxShareRatio }), initialConfig: { config } });
  viewer = (await createToken(store, { name: 'viewer', role: 'viewer', createdBy: 'test' })).token;
  // An alert from yesterday, only in the store, and the live one as the store has it too.
  await recordAlertTransition(store, { alert: alert('resolved', NOW - 86_400_000, { actions: [] }), from: 'firing', to: 'resolved', at: NOW - 86_340_000 });
  await recordAlertTransition(store, { alert: live, from: 'pending', to: 'firing', at: live.firingAt! });
  const telemetry = new Telemetry();
  const members = new PoolMembers('web', config.pools.web!.backends.map((backend) => new BackendState('web', backend.id, backend.url, backend.weight)));
  const pools = [{ name: 'web', config: { algorithm: 'round-robin' }, members }];
  server = await startAdminServer({ host: '127.0.0.1', port: 0, registry: createMetricsRegistry(telemetry, () => pools), telemetry, pools: () => pools, store, changes, monitor: () => monitor });
  base = `http://127.0.0.1:${server.address.port}`;
});

afterAll(async () => {
  await server.close();
  await store.close();
});

describe('GET /api/v1/alerts', () => {
  it("lists the monitor's alerts newest first, then older ones from the store, each once", async () => {
    const { status, body } = await get('/api/v1/alerts');
    expect(status).toBe(200);
    expect(body.map((a: Alert) => [a.fingerprint, a.state])).toEqual([
      ['latency/web/web-1', 'pending'],
      ['skew/web/*', 'firing'],
      ['skew/web/*', 'resolved'],
    ]);
    expect(body[1]).toMatchObject({ summary: live.summary, causes: [{ kind: 'config_change', changeId: 2 }], actions: [{ kind: 'rollback', rollbackChangeId: 3 }], backends: ['web-1', 'web-2'] });
  });

  it('filters by state and limits the count', async () => {
    expect((await get('/api/v1/alerts?state=resolved')).body.map((a: Alert) => a.startedAt)).toEqual([NOW - 86_400_000]);
    expect((await get('/api/v1/alerts?state=firing')).body).toHaveLength(1);
    expect((await get('/api/v1/alerts?limit=1')).body).toHaveLength(1);
  });

  it('refuses a state that does not exist with EK_ADMIN_BAD_REQUEST, and a request without a token with 401', async () => {
    expect(await get('/api/v1/alerts?state=burning')).toMatchObject({ status: 400, body: { code: 'EK_ADMIN_BAD_REQUEST' } });
    expect(await get('/api/v1/alerts', null)).toMatchObject({ status: 401, body: { code: 'EK_AUTH_REQUIRED' } });
  });
});

describe('GET /api/v1/stats with a monitor', () => {
  it('carries the traffic baseline, the firing alerts and per backend rps and pinned share', async () => {
    const { status, body } = await get('/api/v1/stats');
    expect(status).toBe(200);
    expect(body.traffic).toEqual({ rps: 201.5, baselineRps: 198.25 });
    expect(body.alerts.map((a: Alert) => a.fingerprint)).toEqual(['skew/web/*']);
    expect(body.pools[0].backends[0]).toMatchObject({ backend: 'web-1', rps: 0, pinnedShare: 0, expectedShare: 0.25, health: 'healthy' });
  });
});
