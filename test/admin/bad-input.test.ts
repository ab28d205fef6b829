import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startAdminFixture, type AdminFixture } from './admin-fixture.js';

// Bad input gets a clear 4xx with a stable code and changes nothing: the live version, the config the
// node serves (what the change service applied) and the list of versions stay as they were.

let fixture: AdminFixture;

beforeEach(async () => {
  fixture = await startAdminFixture({ roles: ['viewer', 'operator', 'approver', 'admin'] });
});

afterEach(async () => {
  await fixture.close();
});

async function snapshot() {
  const config = await fixture.call('GET', '/api/v1/config', { role: 'viewer' });
  const versions = await fixture.call('GET', '/api/v1/config/versions', { role: 'viewer' });
  return { config: config.body, versions: versions.body, applied: [...fixture.applied] };
}

const setWeight = (weight: unknown) => ({ reason: 'test', operations: [{ op: 'set_weight', pool: 'web', backend: 'web-1', weight }] });

describe('bad input to the admin API', () => {
  it('answers malformed JSON with 400 EK_ADMIN_BAD_REQUEST and records nothing', async () => {
    const before = await snapshot();
    const response = await fixture.call('POST', '/api/v1/changes', { role: 'operator', rawBody: '{"reason": "x", "operations": [' });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('EK_ADMIN_BAD_REQUEST');
    expect(response.body.message).toMatch(/JSON/);
    expect(await snapshot()).toEqual(before);
    expect((await fixture.call('GET', '/api/v1/changes', { role: 'viewer' })).body).toEqual([]);
  });

  it.each([
    ['a weight given as a string', setWeight('400')],
    ['a weight above 10000', setWeight(10_001)],
    ['a fractional weight', setWeight(1.5)],
    ['no reason', { operations: [{ op: 'drain', pool: 'web', backend: 'web-1' }] }],
    ['an empty reason', { reason: '   ', operations: [{ op: 'drain', pool: 'web', backend: 'web-1' }] }],
    ['a reason that is a number', { reason: 5, operations: [{ op: 'drain', pool: 'web', backend: 'web-1' }] }],
    ['both configYaml and operations', { reason: 'x', configYaml: 'pools: {}', operations: [{ op: 'drain', pool: 'web', backend: 'web-1' }] }],
    ['neither configYaml nor operations', { reason: 'x' }],
    ['an unknown operation', { reason: 'x', operations: [{ op: 'delete', pool: 'web', backend: 'web-1' }] }],
    ['an unknown field', { reason: 'x', operations: [{ op: 'drain', pool: 'web', backend: 'web-1' }], force: true }],
    ['source file from a token', { reason: 'x', source: 'file', operations: [{ op: 'drain', pool: 'web', backend: 'web-1' }] }],
    ['a body that is an array', [1, 2]],
  ])('answers %s with 400 EK_ADMIN_BAD_REQUEST and changes nothing', async (_name, body) => {
    const before = await snapshot();
    const response = await fixture.call('POST', '/api/v1/changes', { role: 'operator', body });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'EK_ADMIN_BAD_REQUEST', message: expect.stringMatching(/invalid request: .+/) });
    expect(await snapshot()).toEqual(before);
  });

  it('names an unknown pool or backend with 400 EK_CHANGE_INVALID', async () => {
    const unknownBackend = await fixture.call('POST', '/api/v1/changes', { role: 'operator', body: { reason: 'x', operations: [{ op: 'drain', pool: 'web', backend: 'web-9' }] } });
    expect(unknownBackend.status).toBe(400);
    expect(unknownBackend.body).toEqual({ code: 'EK_CHANGE_INVALID', message: 'drain: pool "web" has no backend "web-9"; its backends are web-1, web-2, web-3, web-4' });
    const unknownPool = await fixture.call('POST', '/api/v1/changes', { role: 'operator', body: { reason: 'x', operations: [{ op: 'drain', pool: 'api', backend: 'web-1' }] } });
    expect(unknownPool.body.code).toBe('EK_CHANGE_INVALID');
  });

  it('answers invalid proposed YAML with 422 EK_CONFIG_INVALID and its line and column', async () => {
    const before = await snapshot();
    const yaml = 'pools:\n  web:\n    backends:\n      - { id: web-1, url: "http://127.0.0.1:1", weight: -5 }\n';
    const response = await fixture.call('POST', '/api/v1/changes', { role: 'operator', body: { reason: 'x', configYaml: yaml } });
    expect(response.status).toBe(422);
    expect(response.body.code).toBe('EK_CONFIG_INVALID');
    expect(response.body.message).toMatch(/proposed config:4:\d+ pools\.web\.backends\[0\]\.weight: expected a whole number from 0 to 10000, got -5/);
    expect(await snapshot()).toEqual(before);
  });

  it('answers an unknown change id with 404 EK_CHANGE_NOT_FOUND on show, approve, reject and apply', async () => {
    const before = await snapshot();
    const show = await fixture.call('GET', '/api/v1/changes/4242', { role: 'viewer' });
    expect(show).toMatchObject({ status: 404, body: { code: 'EK_CHANGE_NOT_FOUND' } });
    for (const action of ['approve', 'reject', 'apply']) {
      const role = action === 'apply' ? 'operator' : 'approver';
      const response = await fixture.call('POST', `/api/v1/changes/4242/${action}`, { role, body: {} });
      expect(response.status, action).toBe(404);
      expect(response.body.code, action).toBe('EK_CHANGE_NOT_FOUND');
    }
    expect(await snapshot()).toEqual(before);
  });

  it('answers a change id that is not a number with 400, and an unknown version with 404 EK_VERSION_NOT_FOUND', async () => {
    expect(await fixture.call('GET', '/api/v1/changes/seventeen', { role: 'viewer' })).toMatchObject({ status: 400, body: { code: 'EK_ADMIN_BAD_REQUEST' } });
    expect(await fixture.call('GET', '/api/v1/config/versions/99', { role: 'viewer' })).toMatchObject({ status: 404, body: { code: 'EK_VERSION_NOT_FOUND' } });
    expect(await fixture.call('GET', '/api/v1/events?since=yesterday', { role: 'viewer' })).toMatchObject({ status: 400, body: { code: 'EK_ADMIN_BAD_REQUEST' } });
  });

  it('refuses the second of two changes approved from the same base with 409 EK_CHANGE_STALE_BASE, keeping the first', async () => {
    const first = await fixture.call('POST', '/api/v1/changes', { role: 'operator', body: setWeight(150) });
    const second = await fixture.call('POST', '/api/v1/changes', { role: 'operator', body: { reason: 'test', operations: [{ op: 'set_weight', pool: 'web', backend: 'web-2', weight: 50 }] } });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(first.body.baseVersion).toBe(1);
    expect(second.body.baseVersion).toBe(1);
    for (const change of [first.body, second.body]) {
      expect((await fixture.call('POST', `/api/v1/changes/${change.id}/approve`, { role: 'approver', body: { comment: 'ok' } })).status).toBe(200);
    }
    const applied = await fixture.call('POST', `/api/v1/changes/${first.body.id}/apply`, { role: 'operator', body: {} });
    expect(applied.status).toBe(200);
    expect(applied.body).toMatchObject({ status: 'applied', appliedVersion: 2 });
    const afterFirst = await snapshot();

    const stale = await fixture.call('POST', `/api/v1/changes/${second.body.id}/apply`, { role: 'operator', body: {} });
    expect(stale.status).toBe(409);
    expect(stale.body.code).toBe('EK_CHANGE_STALE_BASE');
    expect(stale.body.message).toMatch(/version 2/);
    expect(await snapshot()).toEqual(afterFirst);
    // The first change is what is live: web-1 at 150, web-2 untouched.
    const weights = Object.fromEntries(fixture.live.config.pools.web!.backends.map((backend) => [backend.id, backend.weight]));
    expect(weights).toEqual({ 'web-1': 150, 'web-2': 100, 'web-3': 100, 'web-4': 100 });
    expect(fixture.applied).toEqual([2]);
  });

  it('refuses a proposal against a base version that is no longer live with 409', async () => {
    const first = await fixture.call('POST', '/api/v1/changes', { role: 'operator', body: setWeight(150) });
    await fixture.call('POST', `/api/v1/changes/${first.body.id}/approve`, { role: 'approver', body: {} });
    await fixture.call('POST', `/api/v1/changes/${first.body.id}/apply`, { role: 'operator', body: {} });
    const stale = await fixture.call('POST', '/api/v1/changes', { role: 'operator', body: { ...setWeight(120), baseVersion: 1 } });
    expect(stale).toMatchObject({ status: 409, body: { code: 'EK_CHANGE_STALE_BASE' } });
  });

  it('refuses the author approving their own change with 403 EK_CHANGE_SELF_APPROVAL', async () => {
    const proposed = await fixture.call('POST', '/api/v1/changes', { role: 'approver', body: setWeight(150) });
    expect(proposed.status).toBe(201);
    const self = await fixture.call('POST', `/api/v1/changes/${proposed.body.id}/approve`, { role: 'approver', body: {} });
    expect(self.status).toBe(403);
    expect(self.body.code).toBe('EK_CHANGE_SELF_APPROVAL');
    expect(self.body.message).toContain(`you proposed change ${proposed.body.id}`);
  });
});
