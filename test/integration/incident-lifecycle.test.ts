import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCall, TEST_ADMIN_TOKEN } from './support/admin-client.js';
import { freePort, startEvenkeel, startUpstream, withTestStore, type EvenkeelProcess, type TestUpstream } from './support/evenkeel-process.js';

// An incident from first sign to resolution on a real node: web-3 answers every request with 500 but
// is drained (weight 0), so nobody notices; a script's change (approved and applied by a person) puts
// it back at weight 100. The errors alert fires, the incident opens, the node's automatic rollback
// undoes the change (identified and mitigated by the node), the errors stop, the alerts resolve and
// the incident resolves with its impact counted from the node's telemetry.

const LOOPS = 4;
/** Pause between two requests of one loop, so the test sends ~100-200 requests a second, not all the machine can. */
const PAUSE_MS = 15;
const MAX_REQUESTS_PER_LOOP = 5000;

let healthy: TestUpstream[];
let broken: http.Server;
let brokenUrl: string;
let evenkeel: EvenkeelProcess;
let proxyUrl: string;
let adminUrl: string;
let proxyPort: number;
let adminPort: number;
let agent: Agent;
const tokens: Record<string, string> = {};

function configYaml(brokenWeight: number): string {
  return `listen: { http: "127.0.0.1:${proxyPort}" }
admin: { listen: "127.0.0.1:${adminPort}" }
pools:
  portal:
    algorithm: round-robin
    slow_start: 0s
    outlier: { consecutive_failures: 0 }
    backends:
      - { id: web-1, url: "${healthy[0]!.url}", weight: 100 }
      - { id: web-2, url: "${healthy[1]!.url}", weight: 100 }
      - { id: web-3, url: "${brokenUrl}", weight: ${brokenWeight} }
routes:
  - { match: { path_prefix: "/" }, pool: portal }
monitor:
  errors: { window: 5s, for: 2s, min_requests: 20 }
  skew: { window: 5s }
`;
}

/** The admin API as one of the test users. */
function as(name: string, method: string, path: string, body?: unknown) {
  return adminCall(adminUrl, method, path, body, tokens[name]);
}

/** Polls `read` every 250 ms until it returns a value, for at most `timeoutMs`. */
async function eventually<T>(what: string, timeoutMs: number, read: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await read();
    if (value !== undefined) return value;
    await delay(250);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${evenkeel.stderr().slice(-3000)}`);
}

function startTraffic(): { stop: () => Promise<number> } {
  let isStopping = false;
  const loops = Array.from({ length: LOOPS }, async () => {
    let sent = 0;
    for (; sent < MAX_REQUESTS_PER_LOOP && !isStopping; sent++) {
      const response = await request(`${proxyUrl}/checkout`, { dispatcher: agent });
      await response.body.dump();
      await delay(PAUSE_MS);
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

beforeAll(async () => {
  agent = new Agent({ connections: LOOPS * 2 });
  healthy = await Promise.all(['web-1', 'web-2'].map((name) => startUpstream(name)));
  broken = http.createServer((req, res) => {
    req.resume();
    res.writeHead(500, { 'content-type': 'text/plain' }).end('broken');
  });
  broken.listen(0, '127.0.0.1');
  await once(broken, 'listening');
  brokenUrl = `http://127.0.0.1:${(broken.address() as AddressInfo).port}`;
  proxyPort = await freePort();
  adminPort = await freePort();
  proxyUrl = `http://127.0.0.1:${proxyPort}`;
  adminUrl = `http://127.0.0.1:${adminPort}`;
  evenkeel = await startEvenkeel(configYaml(0), [], { EVENKEEL_BOOTSTRAP_TOKEN: TEST_ADMIN_TOKEN });
  for (const [name, role] of [['deploy.sh', 'automation'], ['alice', 'approver'], ['vic', 'viewer']] as const) {
    const created = await adminCall(adminUrl, 'POST', '/api/v1/tokens', { name, role });
    expect(created.status).toBe(201);
    tokens[name] = created.body.token;
  }
});

afterAll(async () => {
  await evenkeel?.stop();
  await Promise.all((healthy ?? []).map((upstream) => upstream.close()));
  if (broken !== undefined) {
    broken.closeAllConnections();
    await new Promise<void>((done) => broken.close(() => done()));
  }
  await agent?.close();
});

describe('an incident on a running node', () => {
  it('opens when the errors alert fires, is identified and mitigated by the automatic rollback, and resolves with its impact when the alerts resolve', async () => {
    const traffic = startTraffic();
    try {
      await delay(1500);
      expect((await as('vic', 'GET', '/api/v1/incidents')).body).toEqual([]);

      // The script's change, approved and applied by alice: web-3 back in service at weight 100.
      const proposed = await as('deploy.sh', 'POST', '/api/v1/changes', { reason: 'deploy.sh: web-3 is back', configYaml: withTestStore(configYaml(100), evenkeel.dir) });
      expect(proposed.status, JSON.stringify(proposed.body)).toBe(201);
      expect((await as('alice', 'POST', `/api/v1/changes/${proposed.body.id}/approve`, { comment: 'ok' })).status).toBe(200);
      const applied = await as('alice', 'POST', `/api/v1/changes/${proposed.body.id}/apply`, {});
      expect(applied.status, JSON.stringify(applied.body)).toBe(200);
      const changeId = proposed.body.id as number;

      const opened = await eventually('an open incident', 20_000, async () => {
        const list = (await as('vic', 'GET', '/api/v1/incidents')).body as Array<{ id: number; status: string }>;
        return list.find((incident) => incident.status === 'open');
      });
      const id = opened.id;

      // The node's rollback marks the cause and the mitigation on the incident.
      const mitigated = await eventually('the rollback on the incident', 20_000, async () => {
        const incident = (await as('vic', 'GET', `/api/v1/incidents/${id}`)).body;
        return incident.milestones.mitigated === undefined ? undefined : incident;
      });
      expect(mitigated.pool).toBe('portal');
      expect(mitigated.alerts).toEqual(expect.arrayContaining([expect.stringMatching(/^errors\/portal\//)]));
      expect(mitigated.milestones.started.at).toBeLessThanOrEqual(mitigated.milestones.detected.at);
      expect(mitigated.milestones.detected.at).toBeGreaterThanOrEqual(applied.body.appliedAt ?? 0);
      expect(mitigated.milestones.identified).toMatchObject({ by: 'node', note: expect.stringMatching(new RegExp(`^change ${changeId} \\(automation 'deploy.sh', .*\\) raised web-3 weight 0 -> 100; rolled back automatically$`)) });
      expect(mitigated.milestones.mitigated).toMatchObject({ by: 'node', note: expect.stringMatching(new RegExp(`^rolled back change ${changeId}: version \\d+ restored`)) });
      expect(mitigated.durations.toDetectMs).toBeGreaterThanOrEqual(0);

      // Drained again, web-3 gets no requests; the alerts resolve and so does the incident.
      const resolved = await eventually('the incident to resolve', 30_000, async () => {
        const incident = (await as('vic', 'GET', `/api/v1/incidents/${id}`)).body;
        return incident.status === 'resolved' ? incident : undefined;
      });
      expect(resolved.milestones.resolved.at).toBeGreaterThanOrEqual(resolved.milestones.mitigated.at);
      expect(resolved.milestones.mitigated.by).toBe('node');
      expect(resolved.durations.toResolveMs).toBeGreaterThanOrEqual(resolved.durations.toMitigateMs);
      // Impact: the 500s of web-3 while it was open, counted once a second from the node's telemetry.
      expect(resolved.impact.failed).toBeGreaterThan(0);
      expect(resolved.impact.backends['web-3'].failed).toBe(resolved.impact.backends['web-3'].requests);
      expect(resolved.impact.requests).toBeGreaterThan(resolved.impact.failed);
      expect(resolved.impact.sloMs).toBe(500);

      // The audit log tells the same story.
      const events = (await as('vic', 'GET', `/api/v1/events?subject=incident:${id}`)).body as Array<{ kind: string; actor: string; data: Record<string, unknown> }>;
      expect(events.map((event) => [event.kind, event.data.milestone ?? null])).toEqual([
        ['incident.opened', null],
        ['incident.milestone', 'identified'],
        ['incident.milestone', 'mitigated'],
        ['incident.resolved', null],
      ]);
      expect((await as('vic', 'GET', '/api/v1/events/verify')).body).toMatchObject({ ok: true });

      // The postmortem draft names the change that triggered it.
      const report = await fetch(`${adminUrl}/api/v1/incidents/${id}/report`, { headers: { authorization: `Bearer ${tokens.vic}` } });
      expect(report.status).toBe(200);
      const markdown = await report.text();
      expect(markdown).toMatch(new RegExp(`^# Incident ${id}: `));
      expect(markdown).toContain(`change ${changeId}`);
    } finally {
      await traffic.stop();
    }
  }, 60_000);
});
