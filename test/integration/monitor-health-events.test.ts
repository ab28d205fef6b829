import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCall } from './support/admin-client.js';
import type { EvenkeelProcess, TestUpstream } from './support/evenkeel-process.js';
import { startPoolNode } from './support/pool-node.js';

// The diagnosis names health changes as causes ("web-3 down 09:57"), reading them from the audit log:
// a running node must write every health verdict there, with the pool and backend it concerns.

let upstreams: TestUpstream[];
let evenkeel: EvenkeelProcess;
let adminUrl: string;

beforeAll(async () => {
  ({ upstreams, evenkeel, adminUrl } = await startPoolNode(['web-1', 'web-2', 'web-3'], 'portal', ['health: { path: /healthz, interval: 200ms, timeout: 100ms, fall: 2, rise: 2 }']));
});

afterAll(async () => {
  await evenkeel?.stop();
  await Promise.all((upstreams ?? []).slice(0, 2).map((upstream) => upstream.close()));
});

describe('health transitions in the audit log', () => {
  it('records a backend going down as health.transition with its pool, backend and reason', async () => {
    await upstreams[2]!.close();
    type HealthEvent = { actor: string; subject: string; data: { pool: string; backend: string; kind: string; reason: string } };
    let found: HealthEvent | undefined;
    for (let attempt = 0; attempt < 60 && found === undefined; attempt++) {
      const events = (await adminCall(adminUrl, 'GET', '/api/v1/events?kind=health.transition')).body as HealthEvent[];
      found = events.find((event) => event.data.backend === 'web-3' && event.data.kind === 'down');
      if (found === undefined) await delay(250);
    }
    expect(found, evenkeel.stderr().slice(-2000)).toMatchObject({ actor: 'health', subject: 'pool:portal/web-3', data: { pool: 'portal', backend: 'web-3', kind: 'down' } });
    expect(found!.data.reason.length).toBeGreaterThan(0);
    expect((await adminCall(adminUrl, 'GET', '/api/v1/events/verify')).body).toMatchObject({ ok: true });
  });
});
