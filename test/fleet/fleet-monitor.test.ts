import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCall } from '../integration/support/admin-client.js';
import { startUpstream, type TestUpstream } from '../integration/support/evenkeel-process.js';
import { freshFleetSchema, msUntil, POSTGRES_URL, readMetric, startFleetNode, type FleetNodeProcess } from './fleet-support.js';

// Issue 8, part 2: one monitor for the whole fleet. Three node processes share one PostgreSQL store;
// clients of all three send 60% of their requests with a session cookie pinned to one backend (the
// postmortem's skew, spread over the fleet). The one node holding the monitor lock sees every node's
// traffic and raises ONE skew alert: one row, one firing event, one incident. Killing that node with
// SIGKILL hands the lock to another within seconds; the new leader takes over the firing alert instead
// of raising it again, resolves it when the skew stops, and raises the next skew once.

// The persistence-concentration rule sees the same pinned cookie. Its defaults (60 s window, 30 s
// for) would let it fire well after the skewed traffic stopped and hold the incident open for another
// minute, so it runs on the skew rule's time scale: it fires with the skew, joins its incident, is
// taken over with it and resolves with it.
const MONITOR_YAML = `monitor:
  interval: 500ms
  skew: { window: 10s, min_requests: 100, for: 2s }
  persistence: { window: 10s, min_requests: 100, for: 2s }
`;
const TAKEOVER_BOUND_MS = 10_000;
/** Share of requests that carry the pinned cookie; the rest are balanced round-robin over three backends. */
const PINNED_SHARE = 0.6;
/** Bounds a traffic loop even if its stop flag were never set. */
const MAX_REQUESTS_PER_LOOP = 100_000;

const fleetSchema = freshFleetSchema();
const storeUrl = `${POSTGRES_URL}?schema=${fleetSchema.schema}`;
let upstreams: TestUpstream[] = [];
let nodes: FleetNodeProcess[] = [];
let db: pg.Client;
const agent = new Agent({ connections: 8 });

async function count(query: string): Promise<number> {
  const result = await db.query<{ n: string }>(query);
  return Number(result.rows[0]!.n);
}

/** What the store holds about skew alerts of pool web: rows, firing events, incidents and rollbacks. */
async function skewRecords(): Promise<{ alerts: number; firing: number; resolved: number; incidents: number; rollbacks: number }> {
  // One client, one query at a time.
  const alerts = await count(`select count(*) as n from alerts where rule = 'skew' and pool = 'web'`);
  const firing = await count(`select count(*) as n from events where kind = 'alert.state_changed' and subject = 'alert:skew/web/*' and data_json like '%"to":"firing"%'`);
  const resolved = await count(`select count(*) as n from alerts where rule = 'skew' and pool = 'web' and state = 'resolved'`);
  const incidents = await count(`select count(*) as n from incidents where pool = 'web'`);
  const rollbacks = await count(`select count(*) as n from change_requests where rollback_of is not null`);
  return { alerts, firing, resolved, incidents, rollbacks };
}

/** A session cookie that `node` pins to `backend` (every node honours it: the cookie key is shared). */
async function cookieFor(node: FleetNodeProcess, backend: string): Promise<string> {
  for (let attempt = 0; attempt < 30; attempt++) {
    const response = await request(`${node.proxyUrl}/account`, { dispatcher: agent });
    await response.body.dump();
    const setCookie = response.headers['set-cookie'];
    const first = Array.isArray(setCookie) ? setCookie[0] : setCookie;
    if (response.headers['x-upstream'] === backend && first !== undefined) return first.split(';')[0]!;
  }
  throw new Error(`no session pinned to ${backend} in 30 requests`);
}

/**
 * One client per node, one request at a time (so the persistence bound, which counts requests in
 * flight, never spills): PINNED_SHARE of the requests carry `cookie`, the others none.
 */
function skewedTraffic(targets: readonly FleetNodeProcess[], cookie: string): { stop: () => Promise<number> } {
  let isStopping = false;
  const loops = targets.map(async (node) => {
    let sent = 0;
    for (; sent < MAX_REQUESTS_PER_LOOP && !isStopping; sent++) {
      try {
        const response = await request(`${node.proxyUrl}/account`, { dispatcher: agent, headers: sent % 10 < PINNED_SHARE * 10 ? { cookie } : {} });
        await response.body.dump();
      } catch {
        return sent; // the node was killed
      }
    }
    return sent;
  });
  return {
    stop: async () => {
      isStopping = true;
      return (await Promise.all(loops)).reduce((a, b) => a + b, 0);
    },
  };
}

/** Which of `candidates` lead the monitor, as each says of itself. */
async function leaders(candidates: readonly FleetNodeProcess[]): Promise<FleetNodeProcess[]> {
  const answers = await Promise.all(candidates.map(async (node) => (await adminCall(node.adminUrl, 'GET', '/api/v1/fleet')).body.self?.isLeader === true));
  return candidates.filter((_, i) => answers[i]);
}

async function until<T>(what: string, timeoutMs: number, read: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await read();
    if (value !== undefined) return value;
    await delay(200);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${nodes.map((node) => node.evenkeel.stderr().slice(-1500)).join('\n---\n')}`);
}

beforeAll(async () => {
  upstreams = await Promise.all(['web-1', 'web-2', 'web-3'].map((name) => startUpstream(name)));
  nodes = [await startFleetNode(storeUrl, upstreams, {}, MONITOR_YAML)];
  nodes.push(...(await Promise.all([1, 2].map(() => startFleetNode(storeUrl, upstreams, {}, MONITOR_YAML)))));
  db = new pg.Client({ connectionString: POSTGRES_URL, options: `-c search_path=${fleetSchema.schema}` });
  await db.connect();
}, 60_000);

afterAll(async () => {
  await Promise.all(nodes.map((node) => node.evenkeel.stop()));
  await Promise.all(upstreams.map((upstream) => upstream.close()));
  await agent.close();
  await db?.end();
  await fleetSchema.drop();
});

describe('one monitor for a fleet of three nodes', () => {
  let leader: FleetNodeProcess;
  let traffic: { stop: () => Promise<number> } | undefined;

  it('has exactly one leader, shown in /metrics, GET /api/v1/fleet and by every node alike', async () => {
    const found = await until('one leader', 10_000, async () => {
      const now = await leaders(nodes);
      return now.length === 1 ? now : undefined;
    });
    leader = found[0]!;
    const gauges = await Promise.all(nodes.map((node) => readMetric(node.adminUrl, 'evenkeel_monitor_leader')));
    expect(gauges).toEqual(nodes.map((node) => (node === leader ? 1 : 0)));
    for (const node of nodes) {
      const fleet = await adminCall(node.adminUrl, 'GET', '/api/v1/fleet');
      const leading = (fleet.body.nodes as Array<{ adminUrl: string; isLeader: boolean }>).filter((row) => row.isLeader);
      expect(leading.map((row) => row.adminUrl)).toEqual([leader.adminUrl]);
    }
  });

  it('raises the skew split across three nodes once: one alert, one firing event, one incident, at most one rollback', async () => {
    const cookie = await cookieFor(nodes[0]!, 'web-1');
    const startedAt = performance.now();
    traffic = skewedTraffic(nodes, cookie);
    await until('the skew alert firing', 40_000, async () => ((await count(`select count(*) as n from alerts where rule = 'skew' and state = 'firing'`)) > 0 ? true : undefined));
    console.log(`fleet skew: firing ${((performance.now() - startedAt) / 1000).toFixed(1)} s after the skewed traffic started`);
    // Three monitors of their own would each have raised it by now; give a duplicate time to appear.
    await delay(4000);
    expect(await skewRecords()).toEqual({ alerts: 1, firing: 1, resolved: 0, incidents: 1, rollbacks: 0 });
    // Any node answers with the fleet's alert, read from the store.
    const follower = nodes.find((node) => node !== leader)!;
    const alerts = await adminCall(follower.adminUrl, 'GET', '/api/v1/alerts?state=firing');
    expect((alerts.body as Array<{ fingerprint: string }>).map((alert) => alert.fingerprint)).toContain('skew/web/*');
  }, 60_000);

  it('hands the monitor to another node within 10 s of a SIGKILL, which takes over the firing alert and raises the next skew once', async () => {
    const killedAt = performance.now();
    leader.evenkeel.child.kill('SIGKILL');
    const survivors = nodes.filter((node) => node !== leader);
    const takeoverMs = await msUntil(async () => (await leaders(survivors)).length === 1, killedAt, TAKEOVER_BOUND_MS + 5000, 100);
    console.log(`fleet monitor takeover: ${takeoverMs.toFixed(0)} ms after the leader was killed`);
    expect(takeoverMs).toBeLessThanOrEqual(TAKEOVER_BOUND_MS);
    const [newLeader] = await leaders(survivors);
    expect(await readMetric(newLeader!.adminUrl, 'evenkeel_monitor_leader')).toBe(1);

    // The skew goes on: the new leader carries the old leader's alert on, it does not raise it again.
    await newLeader!.evenkeel.waitForLog('unresolved alert(s) of the previous monitor leader', 1, 5000);
    await delay(5000);
    expect(await skewRecords()).toEqual({ alerts: 1, firing: 1, resolved: 0, incidents: 1, rollbacks: 0 });

    // The skew stops: the new leader resolves the alert it took over.
    await traffic!.stop();
    await until('the adopted alert resolved', 40_000, async () => ((await skewRecords()).resolved === 1 ? true : undefined));
    // ...and, its alerts all resolved, the incident the old leader opened.
    await until('the incident resolved', 20_000, async () => ((await count(`select count(*) as n from incidents where pool = 'web' and status = 'resolved'`)) === 1 ? true : undefined));

    // A new skew, on the two nodes left: raised once, by the new leader.
    traffic = skewedTraffic(survivors, await cookieFor(survivors[0]!, 'web-2'));
    await until('the second skew alert firing', 40_000, async () => ((await count(`select count(*) as n from alerts where rule = 'skew' and state = 'firing'`)) > 0 ? true : undefined));
    await delay(3000);
    await traffic.stop();
    const records = await skewRecords();
    expect(records).toMatchObject({ alerts: 2, firing: 2, resolved: 1, rollbacks: 0 });
    expect(records.incidents).toBeLessThanOrEqual(2);
  }, 90_000);
});
