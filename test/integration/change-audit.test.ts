import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCall, TEST_ADMIN_TOKEN } from './support/admin-client.js';
import type { EvenkeelProcess, TestUpstream } from './support/evenkeel-process.js';
import { startPoolNode } from './support/pool-node.js';

// Issue 5 in the change path of a running node: the audit rules judge every proposed change. An
// error-level finding refuses it with the rule id; a warning is stored with the change and shown by
// `evenkeel change show` and the admin API.

const BIN = resolve(import.meta.dirname, '../../bin/evenkeel.js');

let upstreams: TestUpstream[];
let evenkeel: EvenkeelProcess;
let adminUrl: string;
const tokens: Record<string, string> = { admin: TEST_ADMIN_TOKEN };

function cli(who: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, EVENKEEL_ADMIN: adminUrl, EVENKEEL_TOKEN: tokens[who] ?? '' }, timeout: 30_000 },
      (error, out, err) => done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, out, err }),
    );
  });
}

beforeAll(async () => {
  ({ upstreams, evenkeel, adminUrl } = await startPoolNode(['web-1', 'web-2', 'web-3'], 'web', ['persistence: { by: cookie, ttl: 30m, bound: 1.25 }']));
  const created = await adminCall(adminUrl, 'POST', '/api/v1/tokens', { name: 'olga', role: 'operator' });
  expect(created.status).toBe(201);
  tokens['olga'] = created.body.token;
}, 60_000);

afterAll(async () => {
  await evenkeel?.stop();
  await Promise.all((upstreams ?? []).map((upstream) => upstream.close()));
});

describe('the audit in the change path of a running node', () => {
  it('refuses a weight change within the guardrails that gives one server 67% of the pool, naming EK202', async () => {
    const before = (await adminCall(adminUrl, 'GET', '/api/v1/config')).body.version as number;
    const refused = await cli('olga', ['change', 'set-weight', 'web', 'web-1', '400', '--reason', 'bigger box']);
    expect(refused.code, refused.out).toBe(1);
    expect(refused.err).toContain('error EK202: pools.web: web-1 weight 400 holds 67%');
    expect((await adminCall(adminUrl, 'GET', '/api/v1/config')).body.version).toBe(before);
  }, 30_000);

  it('stores a warning with the change and shows it in change show and the admin API', async () => {
    const next = join(evenkeel.dir, 'next.yaml');
    writeFileSync(next, readFileSync(evenkeel.configPath, 'utf8').replace('ttl: 30m', 'ttl: 8h'));
    const proposed = await cli('olga', ['change', 'propose', '--file', next, '--reason', 'longer sessions', '--json']);
    expect(proposed.code, proposed.err).toBe(0);
    const change = JSON.parse(proposed.out) as { id: number; isFlagged: boolean; findings: { rule: string; severity: string }[] };
    expect(change.isFlagged).toBe(true);
    expect(change.findings).toContainEqual(expect.objectContaining({ rule: 'EK103', severity: 'warning' }));

    const shown = await cli('olga', ['change', 'show', String(change.id)]);
    expect(shown.code, shown.err).toBe(0);
    expect(shown.out).toMatch(/warning EK103: pools\.web: cookie persistence lasts 8h, longer than 1h/);
    const api = await adminCall(adminUrl, 'GET', `/api/v1/changes/${change.id}`);
    expect(api.body.findings).toContainEqual(expect.objectContaining({ rule: 'EK103', severity: 'warning' }));
  }, 30_000);
});
