import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { adminCall, servedBy, TEST_ADMIN_TOKEN } from './support/admin-client.js';
import { freePort, startEvenkeel, startUpstream, type EvenkeelProcess, type TestUpstream } from './support/evenkeel-process.js';

// What a node serves after a restart (docs/running.md, "The store"): the store's latest version when
// the file is unchanged since it was recorded, the file when it was edited while the node was down.

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

async function configText(weights: number[] = [100, 100, 100, 100]): Promise<{ text: string; proxyUrl: string; adminUrl: string }> {
  const proxyPort = await freePort();
  const adminPort = await freePort();
  const backends = upstreams.map((upstream, i) => `      - { id: ${upstream.name}, url: "${upstream.url}", weight: ${weights[i]} }`).join('\n');
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

describe('a node with a store', () => {
  it('prints a generated bootstrap admin token once, on the first start only, and it works', async () => {
    const { text, adminUrl } = await configText();
    running = await startEvenkeel(text);
    const match = /\n {4}(ek_[0-9a-f]{16}_[A-Za-z0-9_-]{43})\n/.exec(running.stderr());
    expect(match, running.stderr()).not.toBeNull();
    const token = match![1]!;
    expect(running.stderr()).toContain(`export EVENKEEL_TOKEN=${token}`);
    const response = await fetch(`${adminUrl}/api/v1/tokens`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { name: string; role: string }[]).map((info) => [info.name, info.role])).toEqual([['bootstrap-admin', 'admin']]);
    const { dir } = running;
    await running.stop();
    running = await startEvenkeel('', [], {}, { dir, keepConfig: true });
    expect(running.stderr()).not.toContain('ek_');
    expect(running.stderr()).not.toContain('EVENKEEL_TOKEN');
  });

  it('records the file as version 1, then serves a change made through the API across a restart', async () => {
    const { text, proxyUrl, adminUrl } = await configText();
    running = await startEvenkeel(text, [], { EVENKEEL_BOOTSTRAP_TOKEN: TEST_ADMIN_TOKEN });
    const first = await adminCall(adminUrl, 'GET', '/api/v1/config');
    expect(first.body).toMatchObject({ version: 1, configYaml: readFileSync(running.configPath, 'utf8') });

    const proposed = await adminCall(adminUrl, 'POST', '/api/v1/changes', { reason: 'take d out for maintenance', operations: [{ op: 'drain', pool: 'web', backend: 'd' }] });
    expect(proposed.status, JSON.stringify(proposed.body)).toBe(201);
    const applied = await adminCall(adminUrl, 'POST', `/api/v1/changes/${proposed.body.id}/apply`, {});
    expect(applied.body).toMatchObject({ status: 'applied', appliedVersion: 2 });
    expect(await servedBy(proxyUrl, 30)).toEqual({ a: 10, b: 10, c: 10 });

    const { dir } = running;
    await running.stop();
    running = await startEvenkeel('', [], { EVENKEEL_BOOTSTRAP_TOKEN: TEST_ADMIN_TOKEN }, { dir, keepConfig: true });
    const after = await adminCall(adminUrl, 'GET', '/api/v1/config');
    expect(after.body.version).toBe(2);
    expect(after.body.config.pools.web.backends.find((backend: { id: string }) => backend.id === 'd').drain).toBe(true);
    expect(await servedBy(proxyUrl, 30)).toEqual({ a: 10, b: 10, c: 10 });
  });

  it('records a file edited while the node was stopped as a change from source file and serves it', async () => {
    const { text, proxyUrl, adminUrl } = await configText();
    running = await startEvenkeel(text, [], { EVENKEEL_BOOTSTRAP_TOKEN: TEST_ADMIN_TOKEN });
    const { dir, configPath } = running;
    await running.stop();
    writeFileSync(configPath, readFileSync(configPath, 'utf8').replace(`{ id: c, url: "${upstreams[2]!.url}", weight: 100 }`, `{ id: c, url: "${upstreams[2]!.url}", weight: 150 }`));
    running = await startEvenkeel('', [], { EVENKEEL_BOOTSTRAP_TOKEN: TEST_ADMIN_TOKEN }, { dir, keepConfig: true });
    const live = await adminCall(adminUrl, 'GET', '/api/v1/config');
    expect(live.body.version, running.stderr()).toBe(2);
    expect(live.body.configYaml).toBe(readFileSync(configPath, 'utf8'));
    const versions = await adminCall(adminUrl, 'GET', '/api/v1/config/versions');
    expect(versions.body.map((version: { version: number; source: string; author: string }) => [version.version, version.source, version.author])).toEqual([
      [2, 'file', 'file'],
      [1, 'file', 'file'],
    ]);
    expect(await servedBy(proxyUrl, 45)).toEqual({ a: 10, b: 10, c: 15, d: 10 });
  });

  it('records a SIGHUP reload as a change and an invalid file as a rejected reload in the audit log', async () => {
    const { text, adminUrl } = await configText();
    running = await startEvenkeel(text, [], { EVENKEEL_BOOTSTRAP_TOKEN: TEST_ADMIN_TOKEN });
    const original = readFileSync(running.configPath, 'utf8');
    writeFileSync(running.configPath, original.replace('weight: 100 }\n', 'weight: 120 }\n'));
    running.child.kill('SIGHUP');
    await running.waitForLog('"msg":"config reloaded"');
    writeFileSync(running.configPath, original.replace('weight: 100 }\n', 'weight: -1 }\n'));
    running.child.kill('SIGHUP');
    await running.waitForLog('config reload rejected');
    const live = await adminCall(adminUrl, 'GET', '/api/v1/config');
    expect(live.body.version).toBe(2);
    const events = await adminCall(adminUrl, 'GET', '/api/v1/events?kind=config.reload_rejected');
    expect(events.body).toHaveLength(1);
    expect(events.body[0]).toMatchObject({ actor: 'file', data: { trigger: 'SIGHUP', code: 'EK_CONFIG_INVALID' } });
    expect(events.body[0].data.message).toMatch(/weight: expected a whole number from 0 to 10000, got -1/);
    const changes = await adminCall(adminUrl, 'GET', '/api/v1/changes');
    expect(changes.body.map((change: { source: string; status: string }) => [change.source, change.status])).toEqual([['file', 'applied']]);
  });
});
