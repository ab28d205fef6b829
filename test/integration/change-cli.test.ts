import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCall, servedBy, TEST_ADMIN_TOKEN } from './support/admin-client.js';
import type { EvenkeelProcess, TestUpstream } from './support/evenkeel-process.js';
import { startPoolNode } from './support/pool-node.js';

// The story again, this time as people and scripts live it: through the `evenkeel` CLI
// (a real child process) talking to the admin API of a running node, with exit codes and messages
// checked as a shell script would see them.

const BIN = resolve(import.meta.dirname, '../../bin/evenkeel.js');

let upstreams: TestUpstream[];
let evenkeel: EvenkeelProcess;
let proxyUrl: string;
let adminUrl: string;
const tokens: Record<string, string> = { admin: TEST_ADMIN_TOKEN };

interface CliResult {
  code: number;
  out: string;
  err: string;
}

/** Runs `evenkeel ARGS` as `who` (their token in $EVENKEEL_TOKEN) against the node's admin API. */
function cli(who: string, args: string[]): Promise<CliResult> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, EVENKEEL_ADMIN: adminUrl, EVENKEEL_TOKEN: tokens[who] ?? '' }, timeout: 30_000 },
      (error, out, err) => done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, out, err }),
    );
  });
}

async function cliJson<T>(who: string, args: string[]): Promise<T> {
  const result = await cli(who, [...args, '--json']);
  expect(result.code, result.err).toBe(0);
  return JSON.parse(result.out) as T;
}

const liveVersion = async () => (await adminCall(adminUrl, 'GET', '/api/v1/config')).body.version as number;

beforeAll(async () => {
  ({ upstreams, evenkeel, proxyUrl, adminUrl } = await startPoolNode(['web-1', 'web-2', 'web-3', 'web-4', 'web-5'], 'web', ['algorithm: round-robin', 'persistence: { by: cookie, name: ek_session, ttl: 30m, bound: 1.25 }', 'slow_start: 0s']));
  for (const [name, role] of [['weights-sh', 'automation'], ['alice', 'approver'], ['olga', 'operator']] as const) {
    const result = await cli('admin', ['token', 'create', name, '--role', role]);
    expect(result.code, result.err).toBe(0);
    tokens[name] = result.out.trim();
    expect(tokens[name]).not.toBe('');
  }
}, 60_000);

afterAll(async () => {
  await evenkeel?.stop();
  await Promise.all((upstreams ?? []).map((upstream) => upstream.close()));
});

const EVEN = { 'web-1': 20, 'web-2': 20, 'web-3': 20, 'web-4': 20, 'web-5': 20 };

describe('evenkeel change/rollback/token/events against a running node', () => {
  it('lists tokens for the admin and refuses them to an operator (exit 1, the server message)', async () => {
    const list = await cli('admin', ['token', 'list']);
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/weights-sh\s+automation/);
    const refused = await cli('olga', ['token', 'list']);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/admin/);
  });

  it("holds the postmortem's automated 4x change for a second person, who rejects it; config and traffic never move", async () => {
    const before = await liveVersion();
    const first = await cli('weights-sh', ['change', 'set-weight', 'web', 'web-1', '400', 'web-2', '400', '--reason', 'rebalance (weights.sh)', '--json']);
    expect(first.code, first.err).toBe(0);
    const id = (JSON.parse(first.out) as { id: number }).id;

    const shown = await cli('olga', ['change', 'show', String(id)]);
    expect(shown.code, shown.err).toBe(0);
    expect(shown.out).toContain('FLAGGED');
    expect(shown.out).toMatch(/BACKEND\s+WEIGHT SHARE\s+CURRENT\s+PREDICTED\s+FLAG/);
    expect(shown.out).toMatch(/web-1\s+\d+\.\d%\s+\d+\.\d%\s+\d+\.\d%\s+FLAG/);
    expect(shown.out).toMatch(/web-2\s+\d+\.\d%\s+\d+\.\d%\s+\d+\.\d%\s+FLAG/);
    expect(shown.out).toMatch(/web-3\s+\d+\.\d%\s+\d+\.\d%\s+\d+\.\d%\n/);

    const scriptApproves = await cli('weights-sh', ['change', 'approve', String(id)]);
    expect(scriptApproves.code).toBe(1);
    expect(scriptApproves.err).toMatch(/approver/);

    const own = await cli('alice', ['change', 'set-weight', 'web', 'web-2', '400', '--reason', 'same, by hand', '--json']);
    expect(own.code, own.err).toBe(0);
    const ownId = (JSON.parse(own.out) as { id: number }).id;
    const selfApproval = await cli('alice', ['change', 'approve', String(ownId)]);
    expect(selfApproval.code).toBe(1);
    expect(selfApproval.err).toMatch(new RegExp(`^refused: you proposed change ${ownId}; `));

    const rejected = await cli('alice', ['change', 'reject', String(id), '--comment', 'that is the incident']);
    expect(rejected).toMatchObject({ code: 0, out: `change ${id}: rejected\n` });
    expect((await cli('olga', ['change', 'reject', String(ownId)])).code).toBe(1); // an operator may not reject
    expect((await cli('admin', ['change', 'reject', String(ownId)])).code).toBe(0);

    const list = await cli('olga', ['change', 'list', '--status', 'rejected']);
    expect(list.out).toMatch(new RegExp(`\\b${id}\\s+rejected\\s+FLAGGED\\s+weights-sh`));
    expect((await cli('olga', ['change', 'apply', String(id)])).code).toBe(1);
    expect(await liveVersion()).toBe(before);
    expect(await servedBy(proxyUrl, 100)).toEqual(EVEN);
  }, 60_000);

  it('change show says the diff in words', async () => {
    const proposed = await cliJson<{ id: number }>('olga', ['change', 'set-weight', 'web', 'web-5', '110', '--reason', 'a small step']);
    const shown = await cli('olga', ['change', 'show', String(proposed.id)]);
    expect(shown.out).toMatch(/diff:\n {2}.*web-5 weight 100 -> 110/);
    expect((await cli('alice', ['change', 'reject', String(proposed.id)])).code).toBe(0);
  }, 30_000);

  it('drain and undrain propose the operation; nothing goes live until applied', async () => {
    const before = await liveVersion();
    const drain = await cliJson<{ id: number; diff: string[]; status: string }>('olga', ['change', 'drain', 'web', 'web-5', '--reason', 'kernel upgrade']);
    expect(drain.status).toBe('proposed');
    expect((await cli('alice', ['change', 'reject', String(drain.id)])).code).toBe(0);
    const undrain = await cli('olga', ['change', 'undrain', 'web', 'web-5', '--reason', 'not drained']);
    expect(undrain.code).toBe(1); // nothing to change: the server says why
    expect(undrain.err).not.toBe('');
    expect(await liveVersion()).toBe(before);
  }, 30_000);

  it('refuses an extreme change outright, naming the guardrail', async () => {
    const before = await liveVersion();
    const refused = await cli('olga', ['change', 'set-weight', 'web', 'web-3', '5000', '--reason', 'typo']);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('guardrail.max_weight_factor');
    expect(await liveVersion()).toBe(before);
    expect(await servedBy(proxyUrl, 100)).toEqual(EVEN);
  }, 30_000);

  it('applies an approved change under load with zero failed requests; traffic follows it; rollback restores it', async () => {
    const base = await liveVersion();
    const agent = new Agent({ connections: 8 });
    let isLoading = true;
    let ok = 0;
    const failures: string[] = [];
    const deadline = Date.now() + 45_000;
    const client = async () => {
      while (isLoading && Date.now() < deadline) {
        try {
          const response = await request(`${proxyUrl}/`, { dispatcher: agent });
          await response.body.text();
          if (response.statusCode === 200) ok++;
          else failures.push(`status ${response.statusCode}`);
        } catch (error) {
          failures.push(String(error));
        }
      }
    };
    const clients = Array.from({ length: 8 }, () => client());
    let changeId: number;
    try {
      const proposed = await cliJson<{ id: number; needsApproval: boolean }>('olga', ['change', 'set-weight', 'web', 'web-3', '200', '--reason', 'web-3 has more cores']);
      changeId = proposed.id;
      expect((await cli('alice', ['change', 'approve', String(proposed.id), '--comment', 'ok'])).code).toBe(0);
      const okBeforeApply = ok;
      const applied = await cli('olga', ['change', 'apply', String(proposed.id)]);
      expect(applied).toMatchObject({ code: 0, out: `change ${proposed.id}: applied as version ${base + 1}\n` });
      const okAtApply = ok;
      // Traffic flowed across the swap: requests completed while the apply ran and after it.
      await expect.poll(() => ok, { timeout: 10_000 }).toBeGreaterThan(okAtApply + 100);
      expect(okAtApply).toBeGreaterThan(okBeforeApply);
    } finally {
      isLoading = false;
      await Promise.all(clients);
      await agent.close();
    }
    expect(failures).toEqual([]);

    // Smooth weighted round-robin: any 120 picks are 20 whole cycles of 2:1:1:1:1.
    expect(await servedBy(proxyUrl, 120)).toEqual({ 'web-1': 20, 'web-2': 20, 'web-3': 40, 'web-4': 20, 'web-5': 20 });

    const rollback = await cli('olga', ['rollback', String(base), '--reason', 'undo for the test']);
    expect(rollback.code, rollback.err).toBe(0);
    expect(rollback.out).toContain(`live version is now ${base + 2}`);
    expect((await cliJson<{ status: string }>('olga', ['change', 'show', String(changeId)])).status).toBe('rolled_back');
    expect(await liveVersion()).toBe(base + 2);
    expect(await servedBy(proxyUrl, 100)).toEqual(EVEN);
  }, 90_000);

  it('events list shows every step; events verify passes; an edited SQLite row makes verify --store name it', async () => {
    const all = await cliJson<{ seq: number; kind: string; actor: string }[]>('olga', ['events', 'list', '--since', '10m', '--limit', '1000']);
    const kinds = new Set(all.map((event) => event.kind));
    for (const kind of ['token.created', 'change.proposed', 'change.approved', 'change.rejected', 'change.applied']) expect(kinds).toContain(kind);
    const byScript = await cliJson<{ actor: string; kind: string }[]>('olga', ['events', 'list', '--actor', 'weights-sh']);
    expect(byScript.length).toBeGreaterThan(0);
    expect(byScript.every((event) => event.actor === 'weights-sh')).toBe(true);
    const table = await cli('olga', ['events', 'list', '--kind', 'change.rejected']);
    expect(table.out.split('\n')[0]).toMatch(/^SEQ\s+TIME\s+KIND\s+ACTOR\s+SUBJECT/);

    const verified = await cli('olga', ['events', 'verify']);
    expect(verified).toMatchObject({ code: 0, out: `audit log intact: ${all.length} events\n` });

    await evenkeel.stop();
    const dbPath = `${evenkeel.dir}/evenkeel.db`;
    expect((await cli('olga', ['events', 'verify', '--store', `sqlite://${dbPath}`])).code).toBe(0);
    const target = all.find((event) => event.kind === 'change.rejected')!;
    const db = new Database(dbPath);
    try {
      expect(db.prepare("UPDATE events SET actor = 'nobody' WHERE seq = ?").run(target.seq).changes).toBe(1);
    } finally {
      db.close();
    }
    const broken = await cli('olga', ['events', 'verify', '--store', `sqlite://${dbPath}`]);
    expect(broken.code).toBe(1);
    expect(broken.err).toMatch(new RegExp(`^audit log broken at event ${target.seq} \\(edited\\)`));
  }, 60_000);
});
