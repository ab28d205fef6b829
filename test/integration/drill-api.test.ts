import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/control/index.js';
import { listDrillRuns } from '../../src/drill/index.js';
import { adminCall, exited, TEST_ADMIN_TOKEN } from './support/admin-client.js';
import type { EvenkeelProcess, TestUpstream } from './support/evenkeel-process.js';
import { startPoolNode } from './support/pool-node.js';

// A running node's drill API with the real drill engine (built-in scenarios from drills/, runDrill
// with a node of its own): the dashboard's "start a built-in drill and watch it". One drill of the
// postmortem at speed 20 (about 20 s) is watched to its end, stored and its report served; then the
// node is stopped while a second drill runs, which must abort it, store nothing and exit cleanly.

let upstreams: TestUpstream[];
let evenkeel: EvenkeelProcess;
let adminUrl: string;

beforeAll(async () => {
  ({ upstreams, evenkeel, adminUrl } = await startPoolNode(['web-1', 'web-2'], 'web', ['algorithm: round-robin']));
});

afterAll(async () => {
  await evenkeel?.stop();
  await Promise.all(upstreams.map((upstream) => upstream.close()));
});

/** Polls GET /api/v1/drills/current until the drill has finished (bounded: 180 polls, 90 s). */
async function finishedDrill(): Promise<{ lastRunId: number; verdict: string; phase: string | null }> {
  const deadline = Date.now() + 90_000;
  for (let poll = 0; poll < 180 && Date.now() < deadline; poll++) {
    const current = await adminCall(adminUrl, 'GET', '/api/v1/drills/current');
    if (current.body.running === false) return current.body;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error('the drill did not finish within 90 s');
}

describe('drills through the admin API of a running node', () => {
  it('runs a built-in drill to its end, then lists the stored run and serves its report', { timeout: 120_000 }, async () => {
    const started = await adminCall(adminUrl, 'POST', '/api/v1/drills', { scenario: 'postmortem-2024-05-01', speed: 20 });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const done = await finishedDrill();
    expect(done.lastRunId, JSON.stringify(done)).toEqual(expect.any(Number));
    expect(['pass', 'fail', 'error']).toContain(done.verdict);

    const listed = await adminCall(adminUrl, 'GET', '/api/v1/drills?scenario=postmortem-2024-05-01');
    expect(listed.body).toHaveLength(1);
    expect(listed.body[0]).toMatchObject({ id: done.lastRunId, scenario: 'postmortem-2024-05-01', speed: 20, verdict: done.verdict });
    const run = await adminCall(adminUrl, 'GET', `/api/v1/drills/${done.lastRunId}`);
    expect(run.body.result.scenario.name).toBe('postmortem-2024-05-01');

    const report = await fetch(`${adminUrl}/api/v1/drills/${done.lastRunId}/report`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    expect(report.status).toBe(200);
    const markdown = await report.text();
    expect(markdown.split('\n')[0]).toMatch(new RegExp(`^# Drill report: .*\\(postmortem-2024-05-01\\): ${done.verdict.toUpperCase()}$`));
    for (const section of ['## Targets', '## Figures', '## Timeline', '## Event log excerpt', '## Incident reports']) expect(markdown).toContain(section);
    const events = await adminCall(adminUrl, 'GET', '/api/v1/events?kind=drill.recorded');
    expect(events.body.map((event: { subject: string; actor: string }) => [event.subject, event.actor])).toEqual([[`drill:${done.lastRunId}`, 'bootstrap-admin']]);
  });

  it('lists the built-in scenarios, runs one at a time, and aborts the running drill when the node stops', async () => {
    const scenarios = await adminCall(adminUrl, 'GET', '/api/v1/drills/scenarios');
    expect(scenarios.status).toBe(200);
    const postmortem = scenarios.body.find((scenario: { name: string }) => scenario.name === 'postmortem-2024-05-01');
    expect(postmortem.title).toMatch(/2 of 5 servers take 80% of the traffic/);

    const started = await adminCall(adminUrl, 'POST', '/api/v1/drills', { scenario: 'postmortem-2024-05-01', speed: 10 });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    expect(started.body).toMatchObject({ running: true, scenario: 'postmortem-2024-05-01', speed: 10 });

    const second = await adminCall(adminUrl, 'POST', '/api/v1/drills', { scenario: 'postmortem-2024-05-01' });
    expect(second.status).toBe(409);
    expect(second.body.code).toBe('EK_DRILL_BUSY');
    expect((await adminCall(adminUrl, 'GET', '/api/v1/drills/current')).body.running).toBe(true);

    const stopping = Date.now();
    const code = await evenkeel.stop();
    expect(code).toBe(0);
    expect(Date.now() - stopping).toBeLessThan(20_000);
    expect(evenkeel.stderr()).toContain('drill postmortem-2024-05-01 stopped: the node is shutting down (not stored)');
    expect((await exited(evenkeel)).code).toBe(0);

    const store = await openStore(`sqlite://${join(evenkeel.dir, 'evenkeel.db')}`);
    try {
      // Only the first test's run: the aborted one is not stored.
      expect(await listDrillRuns(store)).toHaveLength(1);
    } finally {
      await store.close();
    }
  });
});
