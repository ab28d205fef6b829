import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCall, servedBy, TEST_ADMIN_TOKEN } from './support/admin-client.js';
import { freePort, startEvenkeel, startUpstream, type EvenkeelProcess, type TestUpstream } from './support/evenkeel-process.js';

// Bad input through a running node's admin API: each gets a 4xx with a stable code, and afterwards the
// live version, the versions recorded and the traffic the proxy sends are what they were.

let upstreams: TestUpstream[];
let evenkeel: EvenkeelProcess;
let proxyUrl: string;
let adminUrl: string;

beforeAll(async () => {
  upstreams = await Promise.all(['a', 'b', 'c', 'd'].map((name) => startUpstream(name)));
  const proxyPort = await freePort();
  const adminPort = await freePort();
  proxyUrl = `http://127.0.0.1:${proxyPort}`;
  adminUrl = `http://127.0.0.1:${adminPort}`;
  const backends = upstreams.map((upstream) => `      - { id: ${upstream.name}, url: "${upstream.url}", weight: 100 }`).join('\n');
  evenkeel = await startEvenkeel(
    `listen: { http: "127.0.0.1:${proxyPort}" }
admin: { listen: "127.0.0.1:${adminPort}" }
policy: { require_approval: [] }
pools:
  web:
    algorithm: round-robin
    slow_start: 0s
    backends:
${backends}
`,
    [],
    { EVENKEEL_BOOTSTRAP_TOKEN: TEST_ADMIN_TOKEN },
  );
});

afterAll(async () => {
  await evenkeel?.stop();
  await Promise.all(upstreams.map((upstream) => upstream.close()));
});

async function state() {
  const live = await adminCall(adminUrl, 'GET', '/api/v1/config');
  const versions = await adminCall(adminUrl, 'GET', '/api/v1/config/versions');
  return { version: live.body.version as number, versions: versions.body as unknown[], served: await servedBy(proxyUrl, 120) };
}

async function raw(method: string, path: string, body: string) {
  const response = await fetch(adminUrl + path, { method, headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' }, body });
  return { status: response.status, body: (await response.json()) as { code: string; message: string } };
}

describe('bad input to a running node', () => {
  it('answers malformed JSON, wrong types and unknown ids with 4xx and a code, and changes neither the store nor the traffic', async () => {
    const before = await state();
    expect(before.served).toEqual({ a: 30, b: 30, c: 30, d: 30 });
    const answers = [
      await raw('POST', '/api/v1/changes', '{"reason": "x", "operations": [{"op": "drain"'),
      await raw('POST', '/api/v1/changes', JSON.stringify({ reason: 'x', operations: [{ op: 'set_weight', pool: 'web', backend: 'a', weight: 'lots' }] })),
      await raw('POST', '/api/v1/changes', JSON.stringify({ reason: '', operations: [{ op: 'drain', pool: 'web', backend: 'a' }] })),
      await raw('POST', '/api/v1/rollback', JSON.stringify({ reason: 'x', toVersion: 'one' })),
      await raw('POST', '/api/v1/changes/999/apply', '{}'),
      await raw('POST', '/api/v1/changes/999/approve', '{}'),
    ];
    expect(answers.map((answer) => [answer.status, answer.body.code])).toEqual([
      [400, 'EK_ADMIN_BAD_REQUEST'],
      [400, 'EK_ADMIN_BAD_REQUEST'],
      [400, 'EK_ADMIN_BAD_REQUEST'],
      [400, 'EK_ADMIN_BAD_REQUEST'],
      [404, 'EK_CHANGE_NOT_FOUND'],
      [404, 'EK_CHANGE_NOT_FOUND'],
    ]);
    for (const answer of answers) expect(answer.body.message.length).toBeGreaterThan(10);
    expect(await state()).toEqual(before);
  });

  it('refuses the second of two changes made from the same base with 409 and serves the first', async () => {
    const base = (await adminCall(adminUrl, 'GET', '/api/v1/config')).body.version as number;
    const drainA = await adminCall(adminUrl, 'POST', '/api/v1/changes', { reason: 'drain a', operations: [{ op: 'drain', pool: 'web', backend: 'a' }] });
    const drainB = await adminCall(adminUrl, 'POST', '/api/v1/changes', { reason: 'drain b', operations: [{ op: 'drain', pool: 'web', backend: 'b' }] });
    expect([drainA.body.baseVersion, drainB.body.baseVersion]).toEqual([base, base]);
    expect((await adminCall(adminUrl, 'POST', `/api/v1/changes/${drainA.body.id}/apply`, {})).body).toMatchObject({ status: 'applied', appliedVersion: base + 1 });
    const afterFirst = await state();
    expect(afterFirst.served).toEqual({ b: 40, c: 40, d: 40 });
    const stale = await adminCall(adminUrl, 'POST', `/api/v1/changes/${drainB.body.id}/apply`, {});
    expect(stale.status).toBe(409);
    expect(stale.body.code).toBe('EK_CHANGE_STALE_BASE');
    expect(stale.body.message).toContain(`version ${base + 1}`);
    const afterStale = await state();
    expect(afterStale.version).toBe(base + 1);
    expect(afterStale.versions).toEqual(afterFirst.versions);
    expect(afterStale.served).toEqual({ b: 40, c: 40, d: 40 });
  });
});
