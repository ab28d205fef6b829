import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminContext } from '../../src/cli/admin-command.js';
import { registerIncidentCommands } from '../../src/cli/incident-command.js';
import { type TokenRole } from '../../src/control/index.js';
import { addImpact, alertResolved, openOrJoinIncident } from '../../src/incident/index.js';
import { alertFingerprint, type Alert } from '../../src/monitor/index.js';
import { startAdminFixture, type AdminFixture } from '../admin/admin-fixture.js';

// `evenkeel incident` against a real admin server with a real store: incidents are recorded as the
// node records them, then listed, shown, acknowledged and reported through the CLI.

const T0 = Date.UTC(2026, 10, 29, 9, 0, 0);

function skew(pool: string, startedAt: number): Alert {
  return {
    fingerprint: alertFingerprint('skew', pool, undefined),
    rule: 'skew',
    severity: 'critical',
    pool,
    backend: undefined,
    state: 'firing',
    startedAt,
    firingAt: startedAt + 4200,
    resolvedAt: undefined,
    summary: `web-1 and web-2 carry 81% of ${pool} requests, expected 40%.`,
    evidence: {},
    backends: ['web-1', 'web-2'],
    causes: [],
    actions: [],
  };
}

let fixture: AdminFixture;
let resolvedId: number;
let openId: number;
let dir: string;

beforeAll(async () => {
  fixture = await startAdminFixture();
  dir = mkdtempSync(join(tmpdir(), 'ek-incident-cli-'));
  const past = skew('api', T0);
  resolvedId = (await openOrJoinIncident(fixture.store, past, T0 + 4200)).incident.id;
  await addImpact(fixture.store, resolvedId, { requests: 1000, slowed: 50, failed: 10, sloMs: 500, backends: { 'web-1': { requests: 600, slowed: 50, failed: 10 }, 'web-2': { requests: 400, slowed: 0, failed: 0 } } });
  await alertResolved(fixture.store, { ...past, state: 'resolved', resolvedAt: T0 + 118_000 });
  openId = (await openOrJoinIncident(fixture.store, skew('web', T0 + 600_000), T0 + 604_200)).incident.id;
});

afterAll(async () => {
  await fixture?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

/** Runs `evenkeel ARGS` in-process against the fixture, as `role` (null: no token), with its output collected. */
async function run(args: string[], role: TokenRole | null = 'viewer'): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  let code = 0;
  const env = { EVENKEEL_ADMIN: fixture.base, ...(role === null ? {} : { EVENKEEL_TOKEN: fixture.tokens[role] }) };
  const context: AdminContext = { output: { out: (t) => (out += t), err: (t) => (err += t) }, env, setExitCode: (c) => (code = c) };
  const program = new Command('evenkeel').exitOverride().configureOutput({ writeOut: (t) => (out += t), writeErr: (t) => (err += t) });
  registerIncidentCommands(program, context);
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    code = error.exitCode === 0 ? 0 : 2;
  }
  return { code, out, err };
}

describe('evenkeel incident', () => {
  it('lists incidents newest first with time to detect, mitigate and resolve', async () => {
    const listed = await run(['incident', 'list']);
    expect(listed.code).toBe(0);
    const lines = listed.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+POOL\s+STATUS\s+STARTED\s+DETECT\s+MITIGATE\s+RESOLVE\s+TITLE$/);
    expect(lines[1]).toMatch(new RegExp(`^${openId}\\s+web\\s+open\\s+2026-11-29T09:10:00Z\\s+4\\.2 s\\s+-\\s+-\\s+web-1 and web-2 carry 81% of web requests`));
    expect(lines[2]).toMatch(new RegExp(`^${resolvedId}\\s+api\\s+resolved\\s+2026-11-29T09:00:00Z\\s+4\\.2 s\\s+1 min 58 s\\s+1 min 58 s\\s+web-1 and web-2`));
    const open = await run(['incident', 'list', '--status', 'open', '--json']);
    expect(JSON.parse(open.out).map((incident: { id: number }) => incident.id)).toEqual([openId]);
    expect((await run(['incident', 'list', '--status', 'closed'])).code).toBe(2);
  });

  it('shows the milestones with who reached them and when, and the impact', async () => {
    const shown = await run(['incident', 'show', String(resolvedId)]);
    expect(shown.code).toBe(0);
    expect(shown.out).toContain(`incident ${resolvedId}  resolved  pool api`);
    expect(shown.out).toMatch(/started\s+2026-11-29T09:00:00Z\s+\+0 s\s+monitor\s+alert skew\/api\/\* became pending/);
    expect(shown.out).toMatch(/detected\s+2026-11-29T09:00:04Z\s+\+4\.2 s\s+monitor/);
    expect(shown.out).toMatch(/acknowledged\s+-/);
    expect(shown.out).toMatch(/mitigated\s+2026-11-29T09:01:58Z\s+\+1 min 58 s\s+monitor\s+alerts resolved/);
    expect(shown.out).toContain('time to detect 4.2 s, to mitigate 1 min 58 s, to resolve 1 min 58 s (from the first sign)');
    expect(shown.out).toContain('impact while open: 1000 requests, 10 failed (1.0%), 50 slower than 500 ms (5.0%)');
    expect(shown.out).toMatch(/web-1\s+600\s+10\s+50/);
    const missing = await run(['incident', 'show', '999']);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('incident 999');
  });

  it('acknowledges as the token, says so when someone was first, and refuses a viewer with the server message', async () => {
    const first = await run(['incident', 'ack', String(openId)], 'operator');
    expect(first.code).toBe(0);
    expect(first.out).toMatch(new RegExp(`^incident ${openId}: acknowledged by operator at \\d{4}-`));
    const second = await run(['incident', 'ack', String(openId)], 'approver');
    expect(second.out).toContain(`incident ${openId} was already acknowledged by operator`);
    const refused = await run(['incident', 'ack', String(openId)], 'viewer');
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/role viewer/);
    const noToken = await run(['incident', 'ack', String(openId)], null);
    expect(noToken.code).toBe(2);
    const shown = JSON.parse((await run(['incident', 'show', String(openId), '--json'])).out);
    expect(shown.history).toEqual([expect.objectContaining({ milestone: 'acknowledged', by: 'approver' })]);
  });

  it('records the cause and the mitigation, and needs --cause and --note', async () => {
    expect((await run(['incident', 'identify', String(openId)], 'operator')).code).toBe(2);
    const identified = await run(['incident', 'identify', String(openId), '--cause', 'weights.sh raised web-1 and web-2 to 400'], 'operator');
    expect(identified.out).toMatch(/identified by operator at .*: weights\.sh raised web-1 and web-2 to 400/);
    const late = await run(['incident', 'mitigate', String(resolvedId), '--note', 'too late'], 'operator');
    expect(late.code).toBe(1);
    expect(late.err).toContain(`incident ${resolvedId} is resolved`);
  });

  it('writes the postmortem draft as Markdown or JSON, to standard output or a file', async () => {
    const md = await run(['incident', 'report', String(resolvedId)]);
    expect(md.code).toBe(0);
    expect(md.out).toMatch(new RegExp(`^# Incident ${resolvedId}: web-1 and web-2 carry 81% of api requests`));
    const file = join(dir, 'incident.json');
    const json = await run(['incident', 'report', String(resolvedId), '--format', 'json', '--output', file]);
    expect(json.code).toBe(0);
    expect(json.out).toBe('');
    expect(JSON.parse(readFileSync(file, 'utf8')).summary.status).toBe('resolved');
    const unwritable = await run(['incident', 'report', String(resolvedId), '--output', join(dir, 'missing', 'x.md')]);
    expect(unwritable).toMatchObject({ code: 2, out: '' });
    expect((await run(['incident', 'report', String(resolvedId), '--format', 'pdf'])).code).toBe(2);
  });

  it('explains each subcommand in --help', async () => {
    const help = await run(['incident', 'report', '--help']);
    expect(help.out).toContain('--format <format>');
    expect(help.out).toContain('--output <file>');
    expect((await run(['incident', 'identify', '--help'])).out).toContain('--cause <text>');
    expect((await run(['incident', '--help'])).out).toMatch(/list[\s\S]*show[\s\S]*ack[\s\S]*identify[\s\S]*mitigate[\s\S]*report/);
  });
});
