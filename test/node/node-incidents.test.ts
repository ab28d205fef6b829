import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { BackendState } from '../../src/balance/index.js';
import { listEvents } from '../../src/control/index.js';
import { getIncident, listIncidents, openOrJoinIncident } from '../../src/incident/index.js';
import { alertFingerprint, type Alert } from '../../src/monitor/index.js';
import { NodeIncidents, RESTART_NOTE } from '../../src/node/node-incidents.js';
import { Telemetry } from '../../src/telemetry/index.js';
import { actors, openChangeHarness, portal, type ChangeHarness } from '../control/changes/change-fixture.js';

const silent = pino({ level: 'silent' });

function firing(pool: string, startedAt: number): Alert {
  return {
    fingerprint: alertFingerprint('errors', pool, undefined),
    rule: 'errors',
    severity: 'critical',
    pool,
    backend: undefined,
    state: 'firing',
    startedAt,
    firingAt: startedAt + 2000,
    resolvedAt: undefined,
    summary: '9% of portal requests failed, at most 5% expected.',
    evidence: {},
    backends: [],
    causes: [],
    actions: [],
  };
}

let harness: ChangeHarness | undefined;
let incidents: NodeIncidents | undefined;
afterEach(async () => {
  await incidents?.close();
  incidents = undefined;
  await harness?.dispose();
  harness = undefined;
});

describe("the node's incidents", () => {
  it("adds each whole second of the incident pool's traffic once: 5xx, requests slower than the SLO, and the proxy's own errors", async () => {
    harness = await openChangeHarness('sqlite');
    const second = 1_800_000_000;
    let clock = second * 1000 + 100;
    const telemetry = new Telemetry({ now: () => clock });
    const config = portal([100, 100, 100, 100, 100], { extra: { monitor: { latency: { p95_ms: 500 } } } });
    incidents = new NodeIncidents({ telemetry, config: () => config, store: harness.store, logger: silent, lagMs: 0, now: () => clock });
    const web1 = new BackendState('portal', 'web-1', 'http://10.0.0.11:8000', 100);
    const web2 = new BackendState('portal', 'web-2', 'http://10.0.0.12:8000', 100);
    const other = new BackendState('api', 'api-1', 'http://10.0.0.21:8000', 100);

    await incidents.alertFired(firing('portal', second * 1000));
    for (let i = 0; i < 3; i++) telemetry.recordRequest(web1, 200, 10, 0, 0, false, false);
    telemetry.recordRequest(web1, 503, 20, 0, 0, false, false);
    telemetry.recordRequest(web2, 200, 800, 0, 0, false, false);
    telemetry.recordRequest(web2, 200, 1200, 0, 0, false, false);
    telemetry.recordRequest(other, 500, 900, 0, 0, false, false);
    telemetry.recordProxyError('portal', 'EK_NO_HEALTHY_BACKEND');
    telemetry.recordProxyError('portal', 'EK_NO_HEALTHY_BACKEND');

    // The second is still filling: only the proxy's own errors (no per-second record) are counted yet.
    await incidents.tick();
    const [id] = (await listIncidents(harness.store)).map((incident) => incident.id);
    expect((await getIncident(harness.store, id!)).impact.requests).toBe(2);

    clock = (second + 1) * 1000 + 500;
    await incidents.tick();
    await incidents.tick();
    let impact = (await getIncident(harness.store, id!)).impact;
    expect(impact).toEqual({
      requests: 8,
      failed: 3,
      slowed: 2,
      sloMs: 500,
      backends: { 'web-1': { requests: 4, slowed: 0, failed: 1 }, 'web-2': { requests: 2, slowed: 2, failed: 0 } },
    });

    telemetry.recordRequest(web1, 200, 10, 0, 0, false, false);
    clock = (second + 2) * 1000 + 500;
    await incidents.tick();
    impact = (await getIncident(harness.store, id!)).impact;
    expect(impact.requests).toBe(9);
    expect(impact.backends['web-1']).toEqual({ requests: 5, slowed: 0, failed: 1 });
  });

  it("marks the incident mitigated by a person's change to its pool, but not by a change made before it was detected", async () => {
    harness = await openChangeHarness('sqlite');
    const service = harness.service;
    const telemetry = new Telemetry();
    incidents = new NodeIncidents({ telemetry, config: () => service.liveConfig(), store: harness.store, logger: silent, lagMs: 0 });

    const before = await service.propose({ actor: actors.ana, source: 'cli', reason: 'before the incident', config: portal([100, 100, 100, 100, 90]) });
    await service.approve(before.id, actors.bo);
    await service.apply(before.id, actors.ana);

    // Detected (fired) from now on: the change above came before.
    await incidents.alertFired(firing('portal', Date.now() - 1999));
    await incidents.tick();
    const [opened] = await listIncidents(harness.store);
    expect(opened!.milestones.mitigated).toBeUndefined();

    const fix = await service.propose({ actor: actors.ana, source: 'cli', reason: 'take web-1 down to 50', config: portal([50, 100, 100, 100, 90]) });
    await service.approve(fix.id, actors.bo);
    const applied = await service.apply(fix.id, actors.ana);
    await incidents.tick();
    const mitigated = await getIncident(harness.store, opened!.id);
    expect(mitigated.milestones.mitigated).toMatchObject({ by: 'ana', note: `change ${fix.id} applied by ana (version ${applied.appliedVersion})` });
    expect(mitigated.status).toBe('open');

    // The alert resolves: the incident resolves and keeps ana's mitigation.
    await incidents.alertResolved({ ...firing('portal', Date.now() - 3000), state: 'resolved', resolvedAt: Date.now() });
    const resolved = await getIncident(harness.store, opened!.id);
    expect(resolved.status).toBe('resolved');
    expect(resolved.milestones.mitigated?.by).toBe('ana');
  });

  it('resolves at start the incidents a single node (SQLite) left open, so a new alert opens a new one', async () => {
    harness = await openChangeHarness('sqlite');
    const { incident: left } = await openOrJoinIncident(harness.store, firing('portal', Date.now() - 60_000));
    incidents = new NodeIncidents({ telemetry: new Telemetry(), config: () => harness!.service.liveConfig(), store: harness.store, logger: silent, lagMs: 0 });
    await incidents.start();
    const closed = await getIncident(harness.store, left.id);
    expect(closed.status).toBe('resolved');
    expect(closed.milestones.resolved).toMatchObject({ by: 'monitor', note: RESTART_NOTE });
    expect((await listEvents(harness.store, { kind: 'incident.resolved' })).map((event) => event.subject)).toEqual([`incident:${left.id}`]);
    await incidents.alertFired(firing('portal', Date.now()));
    const open = await listIncidents(harness.store, { status: 'open' });
    expect(open.map((incident) => incident.id)).not.toContain(left.id);
    expect(open).toHaveLength(1);
  });
});
