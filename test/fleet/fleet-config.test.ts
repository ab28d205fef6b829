import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCall, TEST_ADMIN_TOKEN } from '../integration/support/admin-client.js';
import { startUpstream, type TestUpstream } from '../integration/support/evenkeel-process.js';
import { freshFleetSchema, msUntil, POSTGRES_URL, readMetric, startFleetNode, type FleetNodeProcess } from './fleet-support.js';

// Issue 8: three nodes sharing one PostgreSQL store act as one. A change approved on one node's API
// and applied on another's goes live on all three within 1 s (LISTEN/NOTIFY), a restarted node comes
// up on the fleet's current version (catch-up from config_versions), `evenkeel fleet status` lists the
// nodes, and a sticky session pinned by one node is honoured by the others (the shared cookie key).

const BIN = resolve(import.meta.dirname, '../../bin/evenkeel.js');
const SWAP_BOUND_MS = 1000;

const fleetSchema = freshFleetSchema();
const storeUrl = `${POSTGRES_URL}?schema=${fleetSchema.schema}`;
let upstreams: TestUpstream[] = [];
let nodes: FleetNodeProcess[] = [];
const tokens: Record<string, string> = {};

/** The admin API of one node as one of the test users. */
function as(name: string, adminUrl: string, method: string, path: string, body?: unknown) {
  return adminCall(adminUrl, method, path, body, tokens[name]);
}

/** Proposes a weight for web-2 as olga on `proposeOn`, approves it as alice on `approveOn`, applies it as olga on `applyOn`. */
async function changeWeight(weight: number, proposeOn: FleetNodeProcess, approveOn: FleetNodeProcess, applyOn: FleetNodeProcess): Promise<{ version: number; appliedAt: number }> {
  const proposed = await as('olga', proposeOn.adminUrl, 'POST', '/api/v1/changes', { reason: `web-2 to ${weight}`, operations: [{ op: 'set_weight', pool: 'web', backend: 'web-2', weight }] });
  expect(proposed.status, JSON.stringify(proposed.body)).toBe(201);
  const approved = await as('alice', approveOn.adminUrl, 'POST', `/api/v1/changes/${proposed.body.id}/approve`, {});
  expect(approved.body.status, JSON.stringify(approved.body)).toBe('approved');
  const applied = await as('olga', applyOn.adminUrl, 'POST', `/api/v1/changes/${proposed.body.id}/apply`, {});
  const appliedAt = performance.now();
  expect(applied.body.status, JSON.stringify(applied.body)).toBe('applied');
  return { version: applied.body.appliedVersion as number, appliedAt };
}

/** The config version and web-2's weight a node's data plane serves, from its /metrics. */
async function served(node: FleetNodeProcess): Promise<{ version: number; weight: number }> {
  const [version, weight] = await Promise.all([readMetric(node.adminUrl, 'evenkeel_config_version'), readMetric(node.adminUrl, 'evenkeel_backend_weight', { pool: 'web', backend: 'web-2' })]);
  return { version, weight };
}

function fleetStatus(adminUrl: string, json: boolean): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [BIN, 'fleet', 'status', '--admin', adminUrl, ...(json ? ['--json'] : [])], {
    env: { ...process.env, EVENKEEL_TOKEN: TEST_ADMIN_TOKEN },
    encoding: 'utf8',
    timeout: 15_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(async () => {
  upstreams = await Promise.all(['web-1', 'web-2', 'web-3'].map((name) => startUpstream(name)));
  // Node 1 creates the schema, version 1, the admin token and the cookie key; nodes 2 and 3 start
  // together and find them. (Concurrent first starts are the store tests' business; three at once on a
  // loaded 2-core machine can outlast the start-up timeout.)
  nodes = [await startFleetNode(storeUrl, upstreams)];
  nodes.push(...(await Promise.all([1, 2].map(() => startFleetNode(storeUrl, upstreams)))));
  for (const [name, role] of [['olga', 'operator'], ['alice', 'approver']] as const) {
    const created = await adminCall(nodes[0]!.adminUrl, 'POST', '/api/v1/tokens', { name, role });
    expect(created.status).toBe(201);
    tokens[name] = created.body.token;
  }
}, 60_000);

afterAll(async () => {
  await Promise.all(nodes.map((node) => node.evenkeel.stop()));
  await Promise.all(upstreams.map((upstream) => upstream.close()));
  await fleetSchema.drop();
});

describe('a fleet of three nodes sharing one PostgreSQL store', () => {
  it('starts all three on version 1 of one config', async () => {
    for (const node of nodes) expect(await served(node)).toEqual({ version: 1, weight: 100 });
  });

  it('puts a change approved on node 2 and applied on node 1 live on all three nodes within 1 s', async () => {
    const { version, appliedAt } = await changeWeight(150, nodes[0]!, nodes[1]!, nodes[0]!);
    expect(version).toBe(2);
    // Seen from outside: each node's data plane (its /metrics) serves the new weight.
    const observedMs = await Promise.all(nodes.map((node) => msUntil(async () => (await served(node)).weight === 150, appliedAt, 5000)));
    // Measured by the nodes themselves: from the version's commit to their swap.
    const lagMs = await Promise.all(
      nodes.slice(1).map(async (node) => {
        const fleet = await adminCall(node.adminUrl, 'GET', '/api/v1/fleet');
        expect(fleet.body.self.lastSwap.version).toBe(version);
        return fleet.body.self.lastSwap.lagMs as number;
      }),
    );
    console.log(`fleet swap: observed after the apply answered ${observedMs.map((ms) => `${ms.toFixed(0)} ms`).join(', ')} (nodes 1-3); commit-to-swap on nodes 2-3 ${lagMs.join(', ')} ms`);
    expect(Math.max(...observedMs)).toBeLessThan(SWAP_BOUND_MS);
    expect(Math.max(...lagMs)).toBeLessThan(SWAP_BOUND_MS);
    for (const node of nodes) expect((await adminCall(node.adminUrl, 'GET', '/api/v1/config')).body.version).toBe(version);
  });

  it('keeps the p99 of commit-to-swap under 1 s over a series of changes, as the nodes measure it', async () => {
    const lagsMs: number[] = [];
    // An even count: the series ends on weight 150, and the restart test below sets 200.
    const changes = 24;
    for (let i = 0; i < changes; i++) {
      const proposeOn = nodes[i % 3]!;
      const { version } = await changeWeight(i % 2 === 0 ? 200 : 150, proposeOn, nodes[(i + 1) % 3]!, proposeOn);
      for (const node of nodes.filter((candidate) => candidate !== proposeOn)) {
        let lagMs: number | undefined;
        await msUntil(async () => {
          const swap = (await adminCall(node.adminUrl, 'GET', '/api/v1/fleet')).body.self.lastSwap;
          lagMs = swap?.version === version ? (swap.lagMs as number) : undefined;
          return lagMs !== undefined;
        }, performance.now(), 5000, 20);
        lagsMs.push(lagMs!);
      }
    }
    const sorted = [...lagsMs].sort((a, b) => a - b);
    const nearestRank = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
    console.log(`fleet swap over ${changes} changes (${sorted.length} swaps): p50 ${nearestRank(0.5)} ms, p99 ${nearestRank(0.99)} ms, max ${sorted.at(-1)} ms`);
    expect(nearestRank(0.99)).toBeLessThan(SWAP_BOUND_MS);
    // The same figures are in every node's Prometheus histogram.
    const observed = await Promise.all(nodes.map((node) => readMetric(node.adminUrl, 'evenkeel_config_swap_lag_seconds_count')));
    expect(observed.reduce((sum, count) => sum + count, 0)).toBeGreaterThanOrEqual(sorted.length);
  });

  it('lists the three live nodes and their version in evenkeel fleet status', async () => {
    const json = fleetStatus(nodes[2]!.adminUrl, true);
    expect(json.status, json.stderr).toBe(0);
    const status = JSON.parse(json.stdout);
    expect(status.isFleet).toBe(true);
    expect(status.nodes).toHaveLength(3);
    const current = (await adminCall(nodes[0]!.adminUrl, 'GET', '/api/v1/config')).body.version;
    for (const node of status.nodes) expect(node).toMatchObject({ state: 'live', configVersion: current });
    expect(status.nodes.map((node: { adminUrl: string }) => node.adminUrl).sort()).toEqual(nodes.map((node) => node.adminUrl).sort());
    expect(status.self).toMatchObject({ adminUrl: nodes[2]!.adminUrl, isStoreUp: true });

    const table = fleetStatus(nodes[0]!.adminUrl, false);
    expect(table.status, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/NODE\s+STATE\s+VERSION\s+HEARTBEAT/);
    expect(table.stdout.match(/ live /g)).toHaveLength(3);
    expect(table.stdout).toContain('(this)');
  });

  it('brings a node restarted after a change it missed to the current version', async () => {
    const third = nodes[2]!;
    expect(await third.evenkeel.stop()).toBe(0);
    // A clean stop removes the node from the fleet.
    const afterStop = await adminCall(nodes[0]!.adminUrl, 'GET', '/api/v1/fleet');
    expect(afterStop.body.nodes).toHaveLength(2);

    const { version } = await changeWeight(200, nodes[1]!, nodes[0]!, nodes[1]!);
    nodes[2] = await third.restart();
    expect(await served(nodes[2])).toEqual({ version, weight: 200 });
    const fleet = await adminCall(nodes[0]!.adminUrl, 'GET', '/api/v1/fleet');
    expect(fleet.body.nodes).toHaveLength(3);
    for (const node of fleet.body.nodes) expect(node.configVersion).toBe(version);
  });

  it('keeps the fleet on its version when a node whose file nobody edited reloads it (SIGHUP)', async () => {
    const current = (await adminCall(nodes[0]!.adminUrl, 'GET', '/api/v1/config')).body.version as number;
    // Node 3's file still has every weight at 100, as recorded in version 1; the fleet has moved on.
    nodes[2]!.evenkeel.child.kill('SIGHUP');
    await nodes[2]!.evenkeel.waitForLog('config file unchanged since it was recorded');
    for (const node of nodes) expect(await served(node)).toEqual({ version: current, weight: 200 });
  });

  it('honours on nodes 2 and 3 the sticky cookies that node 1 signed', async () => {
    for (let session = 0; session < 6; session++) {
      const first = await fetch(`${nodes[0]!.proxyUrl}/`);
      await first.arrayBuffer();
      const cookie = first.headers.get('set-cookie')?.split(';')[0];
      const pinned = first.headers.get('x-upstream');
      expect(cookie, 'node 1 sets a persistence cookie').toMatch(/^ek_session=/);
      for (const node of nodes.slice(1)) {
        for (let i = 0; i < 3; i++) {
          const again = await fetch(`${node.proxyUrl}/`, { headers: { cookie: cookie! } });
          await again.arrayBuffer();
          expect(again.headers.get('x-upstream'), `session ${session} on ${node.proxyUrl}`).toBe(pinned);
        }
      }
    }
  });

  it("shows each node's own traffic in fleet status, from the snapshots the nodes write every 2 s", async () => {
    const busy = nodes[1]!;
    for (let i = 0; i < 40; i++) {
      const response = await fetch(`${busy.proxyUrl}/`);
      await response.arrayBuffer();
    }
    const startedAt = performance.now();
    const rpsOf = async () => {
      const fleet = await adminCall(nodes[0]!.adminUrl, 'GET', '/api/v1/fleet');
      return new Map<string, number | null>(fleet.body.nodes.map((node: { adminUrl: string; requestsPerSecond: number | null }) => [node.adminUrl, node.requestsPerSecond]));
    };
    // The 40 requests show once their seconds are whole and written: within a few seconds.
    const shownMs = await msUntil(async () => ((await rpsOf()).get(busy.adminUrl) ?? 0) >= 4, startedAt, 10_000, 200);
    const rps = await rpsOf();
    console.log(`fleet traffic: ${[...rps.values()].join(', ')} rps per node, shown ${shownMs.toFixed(0)} ms after the requests`);
    // Every node writes snapshots, with zeros when it had no traffic.
    for (const node of nodes) expect(rps.get(node.adminUrl)).not.toBeNull();
  });
});
