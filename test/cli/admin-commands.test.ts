import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminContext } from '../../src/cli/admin-command.js';
import { registerChangeCommands } from '../../src/cli/change-command.js';
import { parseWhen, registerEventsCommands } from '../../src/cli/events-command.js';
import { formatTable } from '../../src/cli/table.js';
import { registerTokenCommands } from '../../src/cli/token-command.js';
import type { ChangeRequest } from '../../src/control/index.js';

// A real HTTP server on 127.0.0.1 that plays the admin API: it records what the CLI sent and answers
// as the contract says, so the CLI's parsing, rendering and exit codes are tested over real sockets.

interface Seen {
  method: string;
  url: string;
  auth: string | undefined;
  body: unknown;
}

const seen: Seen[] = [];
let server: http.Server;
let baseUrl: string;

const change = (over: Partial<ChangeRequest> = {}): ChangeRequest =>
  ({
    id: 17,
    status: 'proposed',
    author: 'weights.sh',
    authorRole: 'automation',
    source: 'automation',
    reason: 'rebalance',
    baseVersion: 3,
    proposedConfig: {},
    diff: ['pools.portal: web-1 weight 100 -> 400'],
    simulation: {
      sampleSize: 1000,
      maxShareRatio: 1.5,
      flags: ['web-1 predicted 41% of portal, weight share 20% (2.05x > 1.5x)'],
      pools: [
        {
          pool: 'portal',
          sampledRequests: 1000,
          backends: [
            { backend: 'web-1', weightShare: 0.2, currentShare: 0.2, predictedShare: 0.41, ratio: 2.05 },
            { backend: 'web-2', weightShare: 0.2, currentShare: 0.2, predictedShare: 0.15, ratio: 0.75 },
          ],
        },
      ],
    },
    isFlagged: true,
    findings: [],
    needsApproval: true,
    approvals: [],
    createdAt: Date.UTC(2026, 10, 29, 1, 0, 0),
    updatedAt: Date.UTC(2026, 10, 29, 1, 0, 0),
    appliedVersion: null,
    rollbackOf: null,
    ...over,
  }) as ChangeRequest;

function answer(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8').on('data', (c: string) => (text += c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, body: text === '' ? undefined : JSON.parse(text) });
      if (req.headers.authorization !== 'Bearer good') return answer(res, 401, { code: 'EK_AUTH_INVALID', message: 'the token is not valid: create one with `evenkeel token create`' });
      const route = `${req.method} ${req.url!.split('?')[0]}`;
      switch (route) {
        case 'POST /api/v1/changes':
          return answer(res, 201, change());
        case 'GET /api/v1/changes':
          return answer(res, 200, [change(), change({ id: 16, status: 'applied', isFlagged: false, author: 'alice' })]);
        case 'GET /api/v1/changes/17':
          return answer(res, 200, change({ approvals: [{ approver: 'bob', decision: 'reject', comment: 'too much', at: Date.UTC(2026, 10, 29, 1, 5, 0) }] }));
        case 'GET /api/v1/changes/99':
          return answer(res, 404, { code: 'EK_CHANGE_NOT_FOUND', message: 'no change 99: list them with `evenkeel change list`' });
        case 'POST /api/v1/changes/17/approve':
          return answer(res, 403, { code: 'EK_CHANGE_SELF_APPROVAL', message: 'refused: you proposed change 17; a different approver must approve it' });
        case 'POST /api/v1/changes/17/apply':
          return answer(res, 200, change({ status: 'applied', appliedVersion: 4 }));
        case 'POST /api/v1/tokens':
          return answer(res, 201, { token: 'ek_secret', id: 't1', name: 'alice', role: 'approver' });
        case 'GET /api/v1/events/verify':
          return answer(res, 200, { ok: false, firstBadSeq: 7, problem: 'event 7 no longer matches its hash', reason: 'edited' });
        case 'GET /api/v1/events':
          return answer(res, 200, [{ seq: 1, at: 0, kind: 'change.proposed', actor: 'weights.sh', subject: 'change:17', data: null, prevHash: '', hash: '' }]);
        default:
          return answer(res, 500, 'not JSON error');
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((done) => server.close(() => done()));
});

/** Runs `evenkeel ARGS` in-process with its output collected. */
async function run(args: string[], env: NodeJS.ProcessEnv = { EVENKEEL_TOKEN: 'good' }): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  let code = 0;
  const context: AdminContext = { output: { out: (t) => (out += t), err: (t) => (err += t) }, env: { EVENKEEL_ADMIN: baseUrl, ...env }, setExitCode: (c) => (code = c) };
  const program = new Command('evenkeel').exitOverride().configureOutput({ writeOut: (t) => (out += t), writeErr: (t) => (err += t) });
  registerChangeCommands(program, context);
  registerTokenCommands(program, context);
  registerEventsCommands(program, context);
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    code = error.exitCode === 0 ? 0 : 2;
  }
  return { code, out, err };
}

describe('evenkeel admin commands against a server that plays the admin API', () => {
  it('set-weight sends one set_weight operation with the reason and the bearer token, and shows the flag', async () => {
    seen.length = 0;
    const result = await run(['change', 'set-weight', 'portal', 'web-1', '400', '--reason', 'rebalance']);
    expect(result.code).toBe(0);
    expect(seen[0]).toEqual({ method: 'POST', url: '/api/v1/changes', auth: 'Bearer good', body: { reason: 'rebalance', source: 'cli', operations: [{ op: 'set_weight', pool: 'portal', backend: 'web-1', weight: 400 }] } });
    expect(result.out).toContain('FLAGGED');
    expect(result.out).toMatch(/web-1\s+20\.0%\s+20\.0%\s+41\.0%\s+FLAG\n/);
    expect(result.out).toContain('pools.portal: web-1 weight 100 -> 400');
    expect(result.out).toMatch(/web-2\s+20\.0%\s+20\.0%\s+15\.0%\n/);
  });

  it('set-weight takes further BACKEND WEIGHT pairs as one change; an odd pair is bad usage', async () => {
    seen.length = 0;
    expect((await run(['change', 'set-weight', 'portal', 'web-1', '400', 'web-2', '400', '--reason', 'r'])).code).toBe(0);
    expect((seen[0]!.body as { operations: unknown[] }).operations).toEqual([
      { op: 'set_weight', pool: 'portal', backend: 'web-1', weight: 400 },
      { op: 'set_weight', pool: 'portal', backend: 'web-2', weight: 400 },
    ]);
    expect((await run(['change', 'set-weight', 'portal', 'web-1', '400', 'web-2', '--reason', 'r'])).code).toBe(2);
    expect((await run(['change', 'set-weight', 'portal', 'web-1', '400', 'web-2', 'x', '--reason', 'r'])).code).toBe(2);
    expect(seen).toHaveLength(1);
  });

  it('a weight that is not a whole number, or a missing --reason, is bad usage (exit 2) and sends nothing', async () => {
    seen.length = 0;
    expect((await run(['change', 'set-weight', 'portal', 'web-1', 'lots', '--reason', 'x'])).code).toBe(2);
    expect((await run(['change', 'drain', 'portal', 'web-1'])).code).toBe(2);
    expect(seen).toEqual([]);
  });

  it('drain, --admin and --token-file reach the server given on the command line', async () => {
    seen.length = 0;
    const dir = mkdtempSync(join(tmpdir(), 'evenkeel-cli-'));
    writeFileSync(join(dir, 'token'), 'good\n');
    const result = await run(['change', 'drain', 'portal', 'web-3', '--reason', 'kernel', '--admin', baseUrl, '--token-file', join(dir, 'token')], { EVENKEEL_ADMIN: 'http://127.0.0.1:1' });
    expect(result.code).toBe(0);
    expect(seen[0]!.body).toEqual({ reason: 'kernel', source: 'cli', operations: [{ op: 'drain', pool: 'portal', backend: 'web-3' }] });
  });

  it('a refusal prints the server message verbatim and exits 1', async () => {
    const result = await run(['change', 'approve', '17']);
    expect(result).toEqual({ code: 1, out: '', err: 'refused: you proposed change 17; a different approver must approve it\n' });
    expect((await run(['change', 'show', '99'])).err).toBe('no change 99: list them with `evenkeel change list`\n');
  });

  it('an invalid token is refused by the server: exit 1 with its message; no token at all is exit 2 before any request', async () => {
    expect(await run(['change', 'list'], { EVENKEEL_TOKEN: 'bad' })).toMatchObject({ code: 1, err: 'the token is not valid: create one with `evenkeel token create`\n' });
    seen.length = 0;
    const none = await run(['change', 'list'], {});
    expect(none.code).toBe(2);
    expect(none.err).toContain('set $EVENKEEL_TOKEN');
    expect(seen).toEqual([]);
  });

  it('an unreachable node exits 2 naming the URL and what to do', async () => {
    const closed = http.createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((done) => closed.close(() => done()));
    const result = await run(['change', 'list', '--admin', url]);
    expect(result.code).toBe(2);
    expect(result.err).toBe(`cannot reach the admin API at ${url}: connection refused; is \`evenkeel serve\` running? set --admin or $EVENKEEL_ADMIN\n`);
  });

  it('list renders a table; --json prints the server answer', async () => {
    const table = await run(['change', 'list', '--status', 'proposed']);
    expect(seen.at(-1)!.url).toBe('/api/v1/changes?status=proposed');
    expect(table.out.split('\n')[0]).toMatch(/^ID\s+STATUS\s+FLAG\s+AUTHOR/);
    expect(table.out).toMatch(/17\s+proposed\s+FLAGGED\s+weights\.sh/);
    const json = await run(['change', 'list', '--json']);
    expect(JSON.parse(json.out)).toHaveLength(2);
  });

  it('show lists approvals; apply names the new version', async () => {
    expect((await run(['change', 'show', '17'])).out).toContain('rejected by bob at 2026-11-29T01:05:00Z: too much');
    expect((await run(['change', 'apply', '17'])).out).toBe('change 17: applied as version 4\n');
  });

  it('token create prints the secret alone on stdout', async () => {
    const result = await run(['token', 'create', 'alice', '--role', 'approver']);
    expect(result.code).toBe(0);
    expect(result.out).toBe('ek_secret\n');
    expect(seen.at(-1)!.body).toEqual({ name: 'alice', role: 'approver' });
    expect((await run(['token', 'create', 'alice', '--role', 'root'])).code).toBe(2);
  });

  it('events verify exits 1 naming the first bad row; events list passes its filters', async () => {
    const verify = await run(['events', 'verify']);
    expect(verify).toMatchObject({ code: 1, err: 'audit log broken at event 7 (edited): event 7 no longer matches its hash\n' });
    const before = Date.now();
    await run(['events', 'list', '--since', '10m', '--kind', 'change.proposed', '--actor', 'weights.sh', '--limit', '5']);
    const query = new URL(seen.at(-1)!.url, baseUrl).searchParams;
    expect(Number(query.get('since'))).toBeGreaterThanOrEqual(before - 600_000);
    expect(Number(query.get('since'))).toBeLessThanOrEqual(Date.now() - 600_000);
    expect([query.get('kind'), query.get('actor'), query.get('limit')]).toEqual(['change.proposed', 'weights.sh', '5']);
  });

  it('a server error that is not {code,message} still exits 1 with the status', async () => {
    const result = await run(['token', 'list']);
    expect(result.code).toBe(1);
    expect(result.err).toContain('HTTP 500');
  });
});

describe('formatTable and parseWhen', () => {
  it('pads columns to the widest cell and never pads the last', () => {
    expect(formatTable(['A', 'LONG'], [['xyz', 'v'], ['q', 'wide value']])).toBe('A    LONG\nxyz  v\nq    wide value\n');
  });

  it('reads durations back from now and ISO times; refuses anything else', () => {
    expect(parseWhen('10m', 1_000_000)).toBe(400_000);
    expect(parseWhen('2026-11-29T01:00:00Z')).toBe(Date.UTC(2026, 10, 29, 1));
    expect(() => parseWhen('yesterday')).toThrow(/duration/);
  });
});
