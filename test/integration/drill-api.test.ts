import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listDrillRuns, openStore } from '../../src/control/index.js';
import { adminCall, exited } from './support/admin-client.js';
import type { EvenkeelProcess, TestUpstream } from './support/evenkeel-process.js';
import { startPoolNode } from './support/pool-node.js';

// A running node's drill API with the real drill engine (built-in scenarios from drills/, runDrill
// with a node of its own): the dashboard's "start a built-in drill and watch it". The drill is not
// waited for (it takes minutes at speed 1); the node is stopped while it runs, which must abort it,
// stop the drill's own node, store nothing and still exit cleanly.

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

describe('drills through the admin API of a running node', () => {
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
      expect(await listDrillRuns(store)).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
