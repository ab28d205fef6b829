import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCall, servedBy } from './support/admin-client.js';
import type { EvenkeelProcess, TestUpstream } from './support/evenkeel-process.js';
import { startPoolNode } from './support/pool-node.js';

// The end-to-end story through a running node's admin API: the postmortem's script (an
// automation token) proposes two of five servers at 4x; the simulation flags it, nobody but a second
// person can approve it, an approver rejects it and traffic never moves. A guardrail refuses an extreme
// change. A normal change is approved, applied under load without a failed request, and rolled back.

let upstreams: TestUpstream[];
let evenkeel: EvenkeelProcess;
let proxyUrl: string;
let adminUrl: string;
const tokens: Record<string, string> = {};

/** The admin API as one of the test users. */
function as(name: string, method: string, path: string, body?: unknown) {
  return adminCall(adminUrl, method, path, body, tokens[name]);
}

beforeAll(async () => {
  ({ upstreams, evenkeel, proxyUrl, adminUrl } = await startPoolNode(['web-1', 'web-2', 'web-3', 'web-4', 'web-5'], 'web', ['algorithm: round-robin', 'slow_start: 0s']));
  for (const [name, role] of [['weights-sh', 'automation'], ['olga', 'operator'], ['alice', 'approver'], ['bob', 'approver']]) {
    const created = await adminCall(adminUrl, 'POST', '/api/v1/tokens', { name, role });
    expect(created.status).toBe(201);
    tokens[name!] = created.body.token;
  }
});

afterAll(async () => {
  await evenkeel?.stop();
  await Promise.all(upstreams.map((upstream) => upstream.close()));
});

const EVEN = { 'web-1': 20, 'web-2': 20, 'web-3': 20, 'web-4': 20, 'web-5': 20 };

describe('changes through the admin API of a running node', () => {
  it("holds the postmortem's automated weight change for a second person, who rejects it; traffic never moves", async () => {
    const before = (await adminCall(adminUrl, 'GET', '/api/v1/config')).body.version as number;
    const proposed = await as('weights-sh', 'POST', '/api/v1/changes', {
      reason: 'rebalance (weights.sh)',
      operations: [
        { op: 'set_weight', pool: 'web', backend: 'web-1', weight: 400 },
        { op: 'set_weight', pool: 'web', backend: 'web-2', weight: 400 },
      ],
    });
    expect(proposed.status, JSON.stringify(proposed.body)).toBe(201);
    expect(proposed.body).toMatchObject({ status: 'proposed', source: 'automation', author: 'weights-sh', isFlagged: true, needsApproval: true });
    expect(proposed.body.diff.length).toBeGreaterThan(0);
    expect(proposed.body.simulation.flags.join('\n')).toMatch(/web-1/);
    const id = proposed.body.id as number;

    expect(await as('weights-sh', 'POST', `/api/v1/changes/${id}/approve`, {})).toMatchObject({ status: 403, body: { code: 'EK_AUTH_FORBIDDEN' } });
    expect(await as('weights-sh', 'POST', `/api/v1/changes/${id}/apply`, {})).toMatchObject({ status: 403, body: { code: 'EK_AUTH_FORBIDDEN' } });
    expect(await as('olga', 'POST', `/api/v1/changes/${id}/apply`, {})).toMatchObject({ status: 409, body: { code: 'EK_CHANGE_STATE' } });

    const ownChange = await as('alice', 'POST', '/api/v1/changes', { reason: 'same, by hand', operations: [{ op: 'set_weight', pool: 'web', backend: 'web-1', weight: 400 }] });
    expect(ownChange.status).toBe(201);
    const selfApproval = await as('alice', 'POST', `/api/v1/changes/${ownChange.body.id}/approve`, {});
    expect(selfApproval.status).toBe(403);
    expect(selfApproval.body.code).toBe('EK_CHANGE_SELF_APPROVAL');
    expect(selfApproval.body.message).toContain(`you proposed change ${ownChange.body.id}`);

    const rejected = await as('bob', 'POST', `/api/v1/changes/${id}/reject`, { comment: 'that is the incident' });
    expect(rejected.body).toMatchObject({ status: 'rejected', appliedVersion: null });
    expect((await adminCall(adminUrl, 'GET', '/api/v1/config')).body.version).toBe(before);
    expect(await servedBy(proxyUrl, 100)).toEqual(EVEN);
    await as('bob', 'POST', `/api/v1/changes/${ownChange.body.id}/reject`, {});
  });

  it('refuses an extreme change outright with the guardrail that refused it', async () => {
    const refused = await as('olga', 'POST', '/api/v1/changes', { reason: 'typo', operations: [{ op: 'set_weight', pool: 'web', backend: 'web-3', weight: 5000 }] });
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('EK_CHANGE_REFUSED');
    expect(refused.body.findings.map((finding: { rule: string }) => finding.rule)).toContain('guardrail.max_weight_factor');
    expect(await servedBy(proxyUrl, 100)).toEqual(EVEN);
  });

  it('applies an approved change under load without a failed request, and rolls it back', async () => {
    const base = (await adminCall(adminUrl, 'GET', '/api/v1/config')).body.version as number;
    const agent = new Agent({ connections: 8 });
    let isLoading = true;
    let ok = 0;
    const failures: string[] = [];
    const deadline = Date.now() + 30_000;
    // Resolves once `ok` reaches a count, so traffic flows before, between and after the swaps.
    let okWaiter: { count: number; wake: () => void } | undefined;
    const okReached = (count: number) => new Promise<void>((wake) => (okWaiter = { count, wake }));
    const client = async () => {
      while (isLoading && Date.now() < deadline) {
        try {
          const response = await request(`${proxyUrl}/`, { dispatcher: agent });
          await response.body.text();
          if (response.statusCode === 200) {
            ok++;
            if (okWaiter && ok >= okWaiter.count) okWaiter.wake();
          } else failures.push(`status ${response.statusCode}`);
        } catch (error) {
          failures.push(String(error));
        }
      }
    };
    const clients = Array.from({ length: 6 }, () => client());
    await okReached(200);
    const proposed = await as('olga', 'POST', '/api/v1/changes', { reason: 'web-3 and web-4 have more cores', operations: [
      { op: 'set_weight', pool: 'web', backend: 'web-3', weight: 120 },
      { op: 'set_weight', pool: 'web', backend: 'web-4', weight: 120 },
    ] });
    expect(proposed.status, JSON.stringify(proposed.body)).toBe(201);
    expect(proposed.body).toMatchObject({ needsApproval: true, isFlagged: false });
    expect((await as('alice', 'POST', `/api/v1/changes/${proposed.body.id}/approve`, { comment: 'ok' })).body.status).toBe('approved');
    const applied = await as('olga', 'POST', `/api/v1/changes/${proposed.body.id}/apply`, {});
    expect(applied.body).toMatchObject({ status: 'applied', appliedVersion: base + 1 });
    await okReached(ok + 200);
    const rollback = await as('olga', 'POST', '/api/v1/rollback', { reason: 'undo for the test' });
    expect(rollback.status, JSON.stringify(rollback.body)).toBe(201);
    expect(rollback.body).toMatchObject({ status: 'applied', appliedVersion: base + 2, rollbackOf: base });
    await okReached(ok + 200);
    isLoading = false;
    await Promise.all(clients);
    await agent.close();
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThanOrEqual(600);
    expect((await as('olga', 'GET', `/api/v1/changes/${proposed.body.id}`)).body.status).toBe('rolled_back');
    expect(await servedBy(proxyUrl, 100)).toEqual(EVEN);
    const verify = await adminCall(adminUrl, 'GET', '/api/v1/events/verify');
    expect(verify.body).toMatchObject({ ok: true });
  });
});
