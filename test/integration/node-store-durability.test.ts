import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { adminCall, exited, servedBy, TEST_ADMIN_TOKEN } from './support/admin-client.js';
import { freePort, startEvenkeel, startUpstream, type EvenkeelProcess, type TestUpstream } from './support/evenkeel-process.js';

// The durability test: kill the node with SIGKILL in the middle of applying a change, restart
// it, and show that the store and the live config agree: the change is either recorded and live, or
// neither. EVENKEEL_TEST_CRASH_POINT (src/node/crash-point.ts, honoured only with NODE_ENV=test, which
// vitest sets and the node inherits) makes the node SIGKILL itself at a chosen point:
// - before-commit: the new version's rows are written inside the apply transaction, COMMIT has not run;
// - after-commit: the version is committed, the data plane has not swapped to it yet.
// The live config is observed twice: through the proxy (which backends serve) and GET /api/v1/config.

let upstreams: TestUpstream[];
let running: EvenkeelProcess | undefined;

beforeAll(async () => {
  upstreams = await Promise.all(['a', 'b', 'c', 'd'].map((name) => startUpstream(name)));
});

afterEach(async () => {
  await running?.stop();
  running = undefined;
});

afterAll(async () => {
  await Promise.all(upstreams.map((upstream) => upstream.close()));
});

async function configText(): Promise<{ text: string; proxyUrl: string; adminUrl: string }> {
  const proxyPort = await freePort();
  const adminPort = await freePort();
  const backends = upstreams.map((upstream) => `      - { id: ${upstream.name}, url: "${upstream.url}", weight: 100 }`).join('\n');
  const text = `listen: { http: "127.0.0.1:${proxyPort}" }
admin: { listen: "127.0.0.1:${adminPort}" }
policy: { require_approval: [] }
pools:
  web:
    algorithm: round-robin
    slow_start: 0s
    backends:
${backends}
`;
  return { text, proxyUrl: `http://127.0.0.1:${proxyPort}`, adminUrl: `http://127.0.0.1:${adminPort}` };
}

const env = { EVENKEEL_BOOTSTRAP_TOKEN: TEST_ADMIN_TOKEN };
const EVERY_BACKEND = { a: 30, b: 30, c: 30, d: 30 };
const D_DRAINED = { a: 40, b: 40, c: 40 };

/** Starts a node, then restarts it with the crash point set; proposes draining d and applies it. */
async function crashWhileApplying(point: 'before-commit' | 'after-commit') {
  const { text, proxyUrl, adminUrl } = await configText();
  const first = await startEvenkeel(text, [], env);
  await first.stop();
  running = await startEvenkeel('', [], { ...env, EVENKEEL_TEST_CRASH_POINT: point }, { dir: first.dir, keepConfig: true });
  expect(await servedBy(proxyUrl, 120)).toEqual(EVERY_BACKEND);
  const proposed = await adminCall(adminUrl, 'POST', '/api/v1/changes', { reason: 'drain d', operations: [{ op: 'drain', pool: 'web', backend: 'd' }] });
  expect(proposed.status, JSON.stringify(proposed.body)).toBe(201);
  expect(proposed.body.status).toBe('proposed');
  // The node dies while answering: the client sees the connection fail, never a 200.
  await expect(adminCall(adminUrl, 'POST', `/api/v1/changes/${proposed.body.id}/apply`, {})).rejects.toThrow();
  expect(await exited(running)).toEqual({ code: null, signal: 'SIGKILL' });
  expect(running.stderr()).toContain(`EVENKEEL_TEST_CRASH_POINT=${point}: killing this process with SIGKILL`);
  const dir = running.dir;
  running = await startEvenkeel('', [], env, { dir, keepConfig: true });
  const live = await adminCall(adminUrl, 'GET', '/api/v1/config');
  const versions = await adminCall(adminUrl, 'GET', '/api/v1/config/versions');
  const change = await adminCall(adminUrl, 'GET', `/api/v1/changes/${proposed.body.id}`);
  const isDDrained = (live.body.config.pools.web.backends as { id: string; drain: boolean }[]).find((backend) => backend.id === 'd')!.drain;
  return { live: live.body, versions: versions.body as { version: number }[], change: change.body, isDDrained, served: await servedBy(proxyUrl, 120) };
}

describe('a node killed while applying a change', () => {
  it('before the commit: after a restart the change is neither recorded nor live', async () => {
    const after = await crashWhileApplying('before-commit');
    expect(after.versions.map((version) => version.version)).toEqual([1]);
    expect(after.live.version).toBe(1);
    expect(after.change.status).toBe('proposed');
    expect(after.change.appliedVersion).toBeNull();
    expect(after.isDDrained).toBe(false);
    expect(after.served).toEqual(EVERY_BACKEND);
  });

  it('after the commit: after a restart the change is recorded and live', async () => {
    const after = await crashWhileApplying('after-commit');
    expect(after.versions.map((version) => version.version)).toEqual([2, 1]);
    expect(after.live.version).toBe(2);
    expect(after.change).toMatchObject({ status: 'applied', appliedVersion: 2 });
    expect(after.isDDrained).toBe(true);
    expect(after.served).toEqual(D_DRAINED);
  });
});
