import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Command, CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiveStats } from '../../src/admin/index.js';
import type { AdminContext } from '../../src/cli/admin-command.js';
import { parseInterval, registerStatusCommand } from '../../src/cli/status-command.js';

// `evenkeel status` against a real HTTP server on 127.0.0.1 that answers GET /api/v1/stats as a node
// in the postmortem's state would: two of five backends carrying 81%, a firing skew alert.

const backend = (id: string, observedShare: number, requests: number, pinnedShare: number) => ({
  backend: id,
  effectiveWeight: 100,
  expectedShare: 0.2,
  observedShare,
  requests,
  rps: requests / 10,
  inflight: 3,
  p95Ms: 412.4,
  pinned: Math.round(requests * pinnedShare),
  pinnedShare,
  spilled: 0,
  health: 'healthy' as const,
});

const STATS: LiveStats = {
  at: Date.UTC(2024, 4, 1, 10, 0, 0),
  windowSeconds: 10,
  traffic: { rps: 1020, baselineRps: 1000 },
  alerts: [
    {
      fingerprint: 'skew/portal/*',
      rule: 'skew',
      severity: 'critical',
      pool: 'portal',
      backend: undefined,
      state: 'firing',
      startedAt: Date.UTC(2024, 4, 1, 9, 59, 57),
      firingAt: Date.UTC(2024, 4, 1, 10, 0, 0),
      resolvedAt: undefined,
      summary: "Traffic normal (1,020 rps, baseline 1,000). web-1 and web-2 carry 81% of requests, expected 40%. 74% of their requests are pinned by cookie persistence. Likely cause: change 42 (automation 'weights.sh', 09:58) raised web-1 and web-2 weights 100 -> 400.",
      evidence: { observedShare: 0.81, expectedShare: 0.4 },
      backends: ['web-1', 'web-2'],
      causes: [],
      actions: [{ kind: 'rollback', at: Date.UTC(2024, 4, 1, 10, 0, 1), summary: 'rolled back change 42: version 6 restored as version 8 (change 43)' }],
    },
  ],
  pools: [{ pool: 'portal', backends: [backend('web-1', 0.41, 4182, 0.74), backend('web-2', 0.4, 4080, 0.74), backend('web-3', 0.07, 714, 0.5), backend('web-4', 0.06, 612, 0.5), backend('web-5', 0.06, 612, 0.5)] }],
};

let server: http.Server;
let baseUrl: string;

beforeAll(async () => {
  server = http.createServer((request, response) => {
    if (request.headers.authorization !== 'Bearer good') {
      response.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'EK_AUTH_INVALID', message: 'the token is unknown, wrong or revoked' }));
      return;
    }
    if (request.url === '/api/v1/stats') response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(STATS));
    else response.writeHead(404).end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.close();
  await once(server, 'close');
});

async function run(args: string[], env: NodeJS.ProcessEnv = { EVENKEEL_TOKEN: 'good' }): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  let code = 0;
  const context: AdminContext = { output: { out: (t) => (out += t), err: (t) => (err += t) }, env: { EVENKEEL_ADMIN: baseUrl, ...env }, setExitCode: (c) => (code = c) };
  const program = new Command('evenkeel').exitOverride().configureOutput({ writeOut: (t) => (out += t), writeErr: (t) => (err += t) });
  registerStatusCommand(program, context);
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    code = error.exitCode === 0 ? 0 : 2;
  }
  return { code, out, err };
}

describe('evenkeel status', () => {
  it('shows each backend with health, weight, expected and observed share, rps, p95 and pinned share, marking the over-served ones', async () => {
    const { code, out } = await run(['status', '--once']);
    expect(code).toBe(0);
    expect(out).toContain('Traffic: 1,020 rps (baseline 1,000 rps)');
    expect(out).toMatch(/BACKEND\s+HEALTH\s+WEIGHT\s+EXPECTED\s+OBSERVED\s+RPS\s+P95\s+PINNED/);
    expect(out).toMatch(/web-1\s+healthy\s+100\s+20\.0%\s+41\.0% !\s+418\.2\s+412 ms\s+74\.0%/);
    expect(out).toMatch(/web-3\s+healthy\s+100\s+20\.0%\s+7\.0%\s+71\.4/);
    expect(out).not.toMatch(/web-3.*!/);
  });

  it('prints the firing alerts with their diagnosis and what the node did', async () => {
    const { out } = await run(['status', '--once']);
    expect(out).toContain('Firing alerts (1):');
    expect(out).toContain('CRITICAL skew portal, firing since 2024-05-01T10:00:00Z');
    expect(out).toContain('    Traffic normal (1,020 rps, baseline 1,000). web-1 and web-2 carry 81% of requests, expected 40%.');
    expect(out).toContain('    Action: rolled back change 42: version 6 restored as version 8 (change 43)');
  });

  it('does not repeat an action the summary already says', async () => {
    const { renderStatus } = await import('../../src/cli/status-command.js');
    const [alert] = STATS.alerts;
    const said = { ...alert!, summary: `${alert!.summary} Rolled back change 42: version 6 restored as version 8 (change 43).` };
    const out = renderStatus({ ...STATS, alerts: [said] }, baseUrl);
    expect(out.match(/olled back change 42/g)).toHaveLength(1);
    expect(out).not.toContain('Action:');
  });

  it('prints one JSON snapshot for scripts with --once --json', async () => {
    const { code, out } = await run(['status', '--once', '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual(JSON.parse(JSON.stringify(STATS)));
  });

  it('exits 1 with the server message on a bad token, and 2 without a token or with a bad interval', async () => {
    expect(await run(['status', '--once'], { EVENKEEL_TOKEN: 'bad' })).toMatchObject({ code: 1, err: expect.stringContaining('unknown, wrong or revoked') });
    expect(await run(['status', '--once'], { EVENKEEL_TOKEN: '' })).toMatchObject({ code: 2, err: expect.stringContaining('no admin token') });
    expect((await run(['status', '--interval', 'often'])).code).toBe(2);
  });

  it('redraws every interval until Ctrl-C, then exits 0', async () => {
    let out = '';
    let code = -1;
    const frames = () => out.split('evenkeel status  ').length - 1;
    let onThirdFrame: () => void = () => undefined;
    const thirdFrame = new Promise<void>((resolve) => (onThirdFrame = resolve));
    const write = (text: string) => {
      out += text;
      if (frames() >= 3) onThirdFrame();
    };
    const context: AdminContext = { output: { out: write, err: () => undefined }, env: { EVENKEEL_ADMIN: baseUrl, EVENKEEL_TOKEN: 'good' }, setExitCode: (c) => (code = c) };
    const program = new Command('evenkeel').exitOverride();
    registerStatusCommand(program, context);
    const running = program.parseAsync(['status', '--interval', '200ms'], { from: 'user' });
    await thirdFrame;
    process.emit('SIGINT');
    await running;
    expect(code).toBe(0);
    expect(frames()).toBeGreaterThanOrEqual(3);
  });

  it('reads intervals as 1s, 500ms or 1m and refuses ones too short to be useful', () => {
    expect(parseInterval('1s')).toBe(1000);
    expect(parseInterval('500ms')).toBe(500);
    expect(parseInterval('1m')).toBe(60_000);
    expect(() => parseInterval('10ms')).toThrow(/too short/);
  });
});
