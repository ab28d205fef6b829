import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/index.js';
import { createChangeService, createToken, listEvents, openStore, simulateImpact, type Store, type TokenRole } from '../../src/control/index.js';
import { startAdminServer, type AdminServer } from '../../src/admin/index.js';
import type { DrillProgress, DrillResult } from '../../src/drill/index.js';
import { renderDrillReportMarkdown } from '../../src/drill/index.js';
import { DrillService, type DrillEngine } from '../../src/node/drill-service.js';
import { Telemetry, createMetricsRegistry } from '../../src/telemetry/index.js';
import { FIXTURE_YAML } from './admin-fixture.js';
import { postmortemDrillResult } from '../drill/drill-result-fixture.js';

// The drill routes on a real admin server with a real store and a real DrillService. The drill
// engine is the one dependency replaced: a real drill takes minutes and its own node; this engine
// runs until the test releases it, reporting progress as the real one does, and honours the abort.

interface HeldRun {
  readonly name: string;
  readonly signal: AbortSignal;
  report(progress: DrillProgress): void;
  finish(result: DrillResult): void;
}

class HeldEngine implements DrillEngine {
  readonly runs: HeldRun[] = [];
  scenarios() {
    return [
      { name: 'postmortem-2024-05-01', title: 'Sticky sessions and a weight script', description: '2 of 5 servers take 80% of the traffic.' },
      { name: 'backend-slow', title: 'One backend slows down', description: 'web-3 answers in 2 s.' },
    ];
  }
  run(name: string, options: { speed?: number; onProgress: (progress: DrillProgress) => void; signal: AbortSignal }): Promise<DrillResult> {
    return new Promise((resolve) => {
      const run: HeldRun = { name, signal: options.signal, report: options.onProgress, finish: resolve };
      options.signal.addEventListener('abort', () => resolve({ ...postmortemDrillResult(), verdict: 'error', error: 'aborted' }), { once: true });
      this.runs.push(run);
    });
  }
}

const ROLES: TokenRole[] = ['viewer', 'operator', 'admin'];
let store: Store;
let server: AdminServer;
let drills: DrillService;
let engine: HeldEngine;
let base: string;
const tokens = {} as Record<TokenRole, string>;

beforeAll(async () => {
  store = await openStore('sqlite::memory:');
  const config = parseConfigText(FIXTURE_YAML, 'fixture.yaml');
  const changes = await createChangeService({
    store,
    applyLive: () => {},
    simulate: (current, proposed, { maxShareRatio }) => simulateImpact(current, proposed, [], { maxShareRatio }),
    initialConfig: { config, configYaml: FIXTURE_YAML },
  });
  for (const role of ROLES) tokens[role] = (await createToken(store, { name: `${role}-token`, role, createdBy: 'test' })).token;
  engine = new HeldEngine();
  drills = new DrillService({ store, engine });
  const telemetry = new Telemetry();
  server = await startAdminServer({ host: '127.0.0.1', port: 0, registry: createMetricsRegistry(telemetry, () => []), telemetry, pools: () => [], store, changes, drills });
  base = `http://127.0.0.1:${server.address.port}`;
});

afterAll(async () => {
  await server.close();
  await drills.close();
  await store.close();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test bodies are checked field by field
async function call(method: string, path: string, role: TokenRole, body?: unknown): Promise<{ status: number; type: string | null; text: string; body: any }> {
  const headers: Record<string, string> = { authorization: `Bearer ${tokens[role]}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, type: response.headers.get('content-type'), text, body: parsed };
}

describe('drill admin API', () => {
  it('lists the built-in scenarios to any reader', async () => {
    const answer = await call('GET', '/api/v1/drills/scenarios', 'viewer');
    expect(answer.status).toBe(200);
    expect(answer.body.map((scenario: { name: string }) => scenario.name)).toEqual(['postmortem-2024-05-01', 'backend-slow']);
    expect(answer.body[0]).toEqual({ name: 'postmortem-2024-05-01', title: 'Sticky sessions and a weight script', description: '2 of 5 servers take 80% of the traffic.' });
  });

  it('runs one drill at a time, shows its progress, then stores it and serves its report', async () => {
    expect((await call('GET', '/api/v1/drills/current', 'viewer')).body).toMatchObject({ running: false, lastRunId: null, verdict: null });

    const started = await call('POST', '/api/v1/drills', 'operator', { scenario: 'postmortem-2024-05-01', speed: 4 });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ running: true, scenario: 'postmortem-2024-05-01', speed: 4, startedBy: 'operator-token', phase: 'starting' });
    expect(engine.runs).toHaveLength(1);
    const run = engine.runs[0]!;
    run.report({ phase: 'detect', fraction: 0.45, message: 'waiting for evenkeel to see the skew' });

    const busy = await call('POST', '/api/v1/drills', 'admin', { scenario: 'backend-slow' });
    expect(busy.status).toBe(409);
    expect(busy.body.code).toBe('EK_DRILL_BUSY');
    expect(busy.body.message).toContain('a drill of postmortem-2024-05-01 started by operator-token is running (detect, 45%)');
    expect(engine.runs).toHaveLength(1);

    const watching = await call('GET', '/api/v1/drills/current', 'viewer');
    expect(watching.body).toMatchObject({ running: true, phase: 'detect', fraction: 0.45, message: 'waiting for evenkeel to see the skew', endedAt: null });

    const result = postmortemDrillResult({ startedAt: Date.UTC(2026, 10, 29, 9, 30, 0) });
    run.finish(result);
    await drills.idle();

    const done = await call('GET', '/api/v1/drills/current', 'viewer');
    expect(done.body).toMatchObject({ running: false, scenario: 'postmortem-2024-05-01', verdict: 'pass', fraction: 1, lastRunId: expect.any(Number) });
    const id = done.body.lastRunId as number;
    expect((await listEvents(store, { kind: 'drill.recorded' })).map((event) => [event.actor, event.subject])).toEqual([['operator-token', `drill:${id}`]]);

    const listed = await call('GET', '/api/v1/drills', 'viewer');
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual([
      { id, scenario: 'postmortem-2024-05-01', startedAt: result.startedAt, endedAt: result.endedAt, speed: 4, verdict: 'pass', detectS: 6.3, mitigateS: 9.8, slowedShare: 0.042, failedShare: 0.003, diagnosisOk: true },
    ]);
    expect((await call('GET', '/api/v1/drills?scenario=backend-slow', 'viewer')).body).toEqual([]);

    const stored = await call('GET', `/api/v1/drills/${id}`, 'viewer');
    expect(stored.status).toBe(200);
    expect(stored.body.result).toEqual(JSON.parse(JSON.stringify(result)));

    const markdown = await call('GET', `/api/v1/drills/${id}/report`, 'viewer');
    expect(markdown.status).toBe(200);
    expect(markdown.type).toMatch(/^text\/markdown/);
    // The store keeps canonical JSON (keys sorted), so the report is rendered from the stored result.
    expect(markdown.text).toBe(renderDrillReportMarkdown(stored.body.result));
    expect(markdown.text.split('\n')[0]).toBe('# Drill report: Sticky sessions and a weight script (postmortem-2024-05-01): PASS');
    const json = await call('GET', `/api/v1/drills/${id}/report?format=json`, 'viewer');
    expect(json.type).toMatch(/^application\/json/);
    expect(json.body).toEqual(JSON.parse(JSON.stringify(result)));

    // The node is free again.
    const next = await call('POST', '/api/v1/drills', 'admin', { scenario: 'backend-slow' });
    expect(next.status).toBe(202);
    engine.runs[1]!.finish({ ...postmortemDrillResult(), scenario: { ...result.scenario, name: 'backend-slow' }, verdict: 'fail' });
    await drills.idle();
    expect((await call('GET', '/api/v1/drills', 'viewer')).body.map((summary: { scenario: string }) => summary.scenario)).toHaveLength(2);
  });

  it('refuses an unknown scenario, a bad speed, a viewer, and answers 404 for an unknown run', async () => {
    const unknown = await call('POST', '/api/v1/drills', 'operator', { scenario: 'no-such-drill' });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ code: 'EK_DRILL_SCENARIO_UNKNOWN', message: 'there is no built-in drill scenario "no-such-drill"; the built-in ones are: postmortem-2024-05-01, backend-slow' });
    expect((await call('POST', '/api/v1/drills', 'operator', { scenario: 'backend-slow', speed: 0 })).body.code).toBe('EK_ADMIN_BAD_REQUEST');
    expect((await call('POST', '/api/v1/drills', 'operator', { scenario: 'backend-slow', speed: 1000 })).status).toBe(400);
    expect((await call('POST', '/api/v1/drills', 'viewer', { scenario: 'backend-slow' })).status).toBe(403);
    expect((await call('GET', '/api/v1/drills/current', 'viewer')).body.running).toBe(false);

    const missing = await call('GET', '/api/v1/drills/9999', 'viewer');
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('EK_DRILL_NOT_FOUND');
    expect((await call('GET', '/api/v1/drills/9999/report', 'viewer')).status).toBe(404);
    expect((await call('GET', '/api/v1/drills/1/report?format=pdf', 'viewer')).status).toBe(400);
  });
});

describe('drill routes in the OpenAPI document', () => {
  it('describes every drill route for the dashboard and clients', async () => {
    const response = await fetch(`${base}/api/v1/openapi.json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(document.paths).filter((path) => path.includes('/drills')).sort()).toEqual([
      '/api/v1/drills',
      '/api/v1/drills/current',
      '/api/v1/drills/scenarios',
      '/api/v1/drills/{id}',
      '/api/v1/drills/{id}/report',
    ]);
    expect(Object.keys(document.paths['/api/v1/drills']!).sort()).toEqual(['get', 'post']);
  });
});

describe('a node shutting down during a drill', () => {
  it('aborts the running drill, stores nothing for it, and refuses new drills', async () => {
    const service = new DrillService({ store, engine });
    const before = (await listEvents(store, { kind: 'drill.recorded' })).length;
    service.start({ scenario: 'backend-slow', startedBy: 'alice' });
    const run = engine.runs[engine.runs.length - 1]!;
    expect(run.signal.aborted).toBe(false);
    await service.close();
    expect(run.signal.aborted).toBe(true);
    expect(service.current()).toMatchObject({ running: false, verdict: null, lastRunId: null, message: 'drill backend-slow stopped: the node is shutting down (not stored)' });
    expect(await listEvents(store, { kind: 'drill.recorded' })).toHaveLength(before);
    expect(() => service.start({ scenario: 'backend-slow', startedBy: 'alice' })).toThrow(/shutting down/);
  });
});
