import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCall } from '../integration/support/admin-client.js';
import { startUpstream, type TestUpstream } from '../integration/support/evenkeel-process.js';
import { freshFleetSchema, msUntil, POSTGRES_URL, startFleetNode, type FleetNodeProcess } from './fleet-support.js';

// The persistence rule of a fleet judges every node's clients, not only the monitor leader's. Two
// nodes share one PostgreSQL store; one session carries 90% of the requests, and it reaches only the
// node that does NOT lead the monitor (the leader serves nothing). The leader's own request sample is
// empty, yet the busiest keys the other node publishes with its seconds make it raise
// persistence_concentration.

const MONITOR_YAML = `monitor:
  interval: 500ms
  persistence: { window: 10s, min_requests: 50, for: 0s }
`;
const ALERT_BOUND_MS = 30_000;
/** Bounds the traffic loop even if its stop flag were never set. */
const MAX_REQUESTS = 50_000;

const fleetSchema = freshFleetSchema();
const storeUrl = `${POSTGRES_URL}?schema=${fleetSchema.schema}`;
let upstreams: TestUpstream[] = [];
let nodes: FleetNodeProcess[] = [];
const agent = new Agent({ connections: 4 });

beforeAll(async () => {
  upstreams = await Promise.all(['web-1', 'web-2', 'web-3'].map((name) => startUpstream(name)));
  nodes = [await startFleetNode(storeUrl, upstreams, {}, MONITOR_YAML)];
  nodes.push(await startFleetNode(storeUrl, upstreams, {}, MONITOR_YAML));
}, 60_000);

afterAll(async () => {
  await Promise.all(nodes.map((node) => node.evenkeel.stop()));
  await Promise.all(upstreams.map((upstream) => upstream.close()));
  await agent.close();
  await fleetSchema.drop();
});

async function isLeader(node: FleetNodeProcess): Promise<boolean> {
  return (await adminCall(node.adminUrl, 'GET', '/api/v1/fleet')).body.self?.isLeader === true;
}

async function concentrationAlerts(node: FleetNodeProcess): Promise<{ rule: string; state: string; evidence: Record<string, number> }[]> {
  const alerts = (await adminCall(node.adminUrl, 'GET', '/api/v1/alerts')).body as { rule: string; state: string; evidence: Record<string, number> }[];
  return alerts.filter((alert) => alert.rule === 'persistence_concentration');
}

describe("a fleet's persistence rule", () => {
  it("fires on the leader for a session that only another node's clients carry", async () => {
    await msUntil(async () => (await isLeader(nodes[0]!)) || (await isLeader(nodes[1]!)), performance.now(), 10_000, 100);
    const leader = (await isLeader(nodes[0]!)) ? nodes[0]! : nodes[1]!;
    const other = leader === nodes[0] ? nodes[1]! : nodes[0]!;
    const first = await request(`${other.proxyUrl}/account`, { dispatcher: agent });
    await first.body.dump();
    const setCookie = first.headers['set-cookie'];
    const cookie = (Array.isArray(setCookie) ? setCookie[0] : setCookie)!.split(';')[0]!;

    let isStopping = false;
    const traffic = (async () => {
      let sent = 0;
      for (; sent < MAX_REQUESTS && !isStopping; sent++) {
        const response = await request(`${other.proxyUrl}/account`, { dispatcher: agent, headers: sent % 10 === 0 ? {} : { cookie } });
        await response.body.dump();
      }
      return sent;
    })();
    try {
      const startedMs = performance.now();
      await msUntil(async () => (await concentrationAlerts(leader)).some((alert) => alert.state === 'firing'), startedMs, ALERT_BOUND_MS, 250);
    } finally {
      isStopping = true;
      await traffic;
    }
    const [alert] = await concentrationAlerts(leader);
    // One key carries 90% of the other node's requests (the 10% without a cookie get fresh ones).
    expect(alert!.evidence.topKeysShare).toBeGreaterThan(0.85);
    expect(alert!.evidence.requests).toBeGreaterThanOrEqual(50);
  }, 60_000);
});
