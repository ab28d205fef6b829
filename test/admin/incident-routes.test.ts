import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertResolved, openOrJoinIncident } from '../../src/incident/index.js';
import { alertFingerprint, type Alert } from '../../src/monitor/index.js';
import { startAdminFixture, type AdminFixture } from './admin-fixture.js';

const T0 = 1_714_557_600_000;

function skew(pool: string, startedAt: number): Alert {
  return {
    fingerprint: alertFingerprint('skew', pool, undefined),
    rule: 'skew',
    severity: 'critical',
    pool,
    backend: undefined,
    state: 'firing',
    startedAt,
    firingAt: startedAt + 4000,
    resolvedAt: undefined,
    summary: 'web-1 and web-2 carry 81% of requests, expected 40%.',
    evidence: {},
    backends: ['web-1', 'web-2'],
    causes: [],
    actions: [],
  };
}

let fixture: AdminFixture;
let openId: number;
let resolvedId: number;

beforeAll(async () => {
  fixture = await startAdminFixture();
  const past = skew('api', T0);
  resolvedId = (await openOrJoinIncident(fixture.store, past, T0 + 4000)).incident.id;
  await alertResolved(fixture.store, { ...past, state: 'resolved', resolvedAt: T0 + 60_000 });
  openId = (await openOrJoinIncident(fixture.store, skew('web', T0 + 600_000), T0 + 604_000)).incident.id;
});

afterAll(async () => {
  await fixture?.close();
});

describe('incident routes of the admin API', () => {
  it('lists incidents newest first with their durations, and filters by status', async () => {
    const all = await fixture.call('GET', '/api/v1/incidents', { role: 'viewer' });
    expect(all.status).toBe(200);
    expect(all.body.map((incident: { id: number }) => incident.id)).toEqual([openId, resolvedId]);
    expect(all.body[1]).toMatchObject({ status: 'resolved', pool: 'api', durations: { toDetectMs: 4000, toMitigateMs: 60_000, toResolveMs: 60_000 } });
    expect(all.body[0].durations).toEqual({ toDetectMs: 4000, toMitigateMs: null, toResolveMs: null });
    const open = await fixture.call('GET', '/api/v1/incidents?status=open', { role: 'viewer' });
    expect(open.body.map((incident: { id: number }) => incident.id)).toEqual([openId]);
    const bad = await fixture.call('GET', '/api/v1/incidents?status=closed', { role: 'viewer' });
    expect(bad).toMatchObject({ status: 400, body: { code: 'EK_ADMIN_BAD_REQUEST' } });
  });

  it('shows one incident, and answers 404 EK_INCIDENT_NOT_FOUND for an unknown id', async () => {
    const shown = await fixture.call('GET', `/api/v1/incidents/${openId}`, { role: 'viewer' });
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({ id: openId, pool: 'web', title: 'web-1 and web-2 carry 81% of requests, expected 40%.', alerts: ['skew/web/*'], milestones: { started: { at: T0 + 600_000, by: 'monitor' } } });
    const missing = await fixture.call('GET', '/api/v1/incidents/999', { role: 'viewer' });
    expect(missing).toMatchObject({ status: 404, body: { code: 'EK_INCIDENT_NOT_FOUND' } });
    expect(missing.body.message).toContain('incident 999');
  });

  it('lets an operator acknowledge, identify and mitigate, each mark named after the token', async () => {
    const acked = await fixture.call('POST', `/api/v1/incidents/${openId}/acknowledge`, { role: 'operator' });
    expect(acked.status).toBe(200);
    expect(acked.body.milestones.acknowledged).toMatchObject({ by: 'operator' });
    const identified = await fixture.call('POST', `/api/v1/incidents/${openId}/identify`, { role: 'approver', body: { cause: 'weights.sh raised web-1 and web-2 to 400' } });
    expect(identified.body.milestones.identified).toMatchObject({ by: 'approver', note: 'weights.sh raised web-1 and web-2 to 400' });
    const mitigated = await fixture.call('POST', `/api/v1/incidents/${openId}/mitigate`, { role: 'admin', body: { note: 'weights restored by hand' } });
    expect(mitigated.body.milestones.mitigated).toMatchObject({ by: 'admin', note: 'weights restored by hand' });
    expect(mitigated.body.durations.toMitigateMs).toEqual(expect.any(Number));
  });

  it('refuses a missing token, a viewer, an automation token, a cause-less identify and mitigating a resolved incident', async () => {
    for (const path of ['acknowledge', 'identify', 'mitigate']) {
      expect((await fixture.call('POST', `/api/v1/incidents/${openId}/${path}`, { body: {} })).status).toBe(401);
      for (const role of ['viewer', 'automation'] as const) {
        const refused = await fixture.call('POST', `/api/v1/incidents/${openId}/${path}`, { role, body: { cause: 'x', note: 'x' } });
        expect(refused, `${role} ${path}`).toMatchObject({ status: 403, body: { code: 'EK_AUTH_FORBIDDEN' } });
      }
    }
    expect((await fixture.call('GET', '/api/v1/incidents')).status).toBe(401);
    expect((await fixture.call('POST', `/api/v1/incidents/${openId}/identify`, { role: 'operator', body: {} })).body).toMatchObject({ code: 'EK_ADMIN_BAD_REQUEST' });
    const late = await fixture.call('POST', `/api/v1/incidents/${resolvedId}/mitigate`, { role: 'operator', body: { note: 'too late' } });
    expect(late).toMatchObject({ status: 409, body: { code: 'EK_INCIDENT_STATE' } });
    const unknown = await fixture.call('POST', '/api/v1/incidents/999/acknowledge', { role: 'operator' });
    expect(unknown).toMatchObject({ status: 404, body: { code: 'EK_INCIDENT_NOT_FOUND' } });
  });

  it('writes the postmortem draft as Markdown by default and as the report object with ?format=json', async () => {
    const md = await fetch(`${fixture.base}/api/v1/incidents/${resolvedId}/report`, { headers: { authorization: `Bearer ${fixture.tokens.viewer}` } });
    expect(md.status).toBe(200);
    expect(md.headers.get('content-type')).toMatch(/^text\/markdown/);
    const text = await md.text();
    expect(text).toContain('web-1 and web-2 carry 81% of requests, expected 40%.');
    const json = await fixture.call('GET', `/api/v1/incidents/${resolvedId}/report?format=json`, { role: 'viewer' });
    expect(json.status).toBe(200);
    expect(json.body.summary).toMatchObject({ title: 'web-1 and web-2 carry 81% of requests, expected 40%.', status: 'resolved' });
    expect((await fixture.call('GET', '/api/v1/incidents/999/report', { role: 'viewer' })).body).toMatchObject({ code: 'EK_INCIDENT_NOT_FOUND' });
    expect((await fixture.call('GET', `/api/v1/incidents/${resolvedId}/report?format=pdf`, { role: 'viewer' })).status).toBe(400);
  });

  it('describes the incident routes in the OpenAPI document', async () => {
    const openapi = await fixture.call('GET', '/api/v1/openapi.json');
    expect(Object.keys(openapi.body.paths)).toEqual(expect.arrayContaining(['/api/v1/incidents', '/api/v1/incidents/{id}', '/api/v1/incidents/{id}/acknowledge', '/api/v1/incidents/{id}/identify', '/api/v1/incidents/{id}/mitigate', '/api/v1/incidents/{id}/report']));
  });
});
