import { afterEach, describe, expect, it } from 'vitest';
import { REDACTED_SECRET } from '../../src/config/index.js';
import { FIXTURE_YAML, startAdminFixture, type AdminFixture } from './admin-fixture.js';

// Every token can read the config; none may read the secrets in it (a viewer that learns the cookie
// secret can forge sticky cookies and steer traffic, the postmortem's failure by another road).

const COOKIE_SECRET = 'cookie-secret-0123456789abcdef';
const WEBHOOK_SECRET = 'webhook-secret-0123456789abcdef';
const YAML_WITH_SECRETS = `${FIXTURE_YAML}proxy:
  cookie_secret: "${COOKIE_SECRET}"   # signs sticky cookies
monitor:
  webhooks:
    - { url: "http://127.0.0.1:9/hook", secret: "${WEBHOOK_SECRET}" }
`;

let fixture: AdminFixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

describe('secrets in the config through the admin API', () => {
  it('never shows the cookie or webhook secret to any role, in the config or its YAML', async () => {
    fixture = await startAdminFixture({ yaml: YAML_WITH_SECRETS });
    for (const role of ['viewer', 'admin'] as const) {
      for (const path of ['/api/v1/config', `/api/v1/config/versions/${fixture.changes.liveVersion()}`]) {
        const response = await fixture.call('GET', path, { role });
        expect(response.status).toBe(200);
        const text = JSON.stringify(response.body);
        expect(text).not.toContain(COOKIE_SECRET);
        expect(text).not.toContain(WEBHOOK_SECRET);
        expect(response.body.config.proxy.cookie_secret).toBe(REDACTED_SECRET);
        expect(response.body.config.monitor.webhooks[0].secret).toBe(REDACTED_SECRET);
        expect(response.body.configYaml).toContain('# signs sticky cookies');
      }
    }
  });

  it('keeps the live secrets when a change is proposed from the redacted YAML', async () => {
    fixture = await startAdminFixture({ yaml: YAML_WITH_SECRETS });
    const read = await fixture.call('GET', '/api/v1/config', { role: 'admin' });
    const edited = (read.body.configYaml as string).replace('web-2, url: "http://127.0.0.1:18082", weight: 100', 'web-2, url: "http://127.0.0.1:18082", weight: 150');
    expect(edited).not.toBe(read.body.configYaml);
    const proposed = await fixture.call('POST', '/api/v1/changes', { role: 'operator', body: { reason: 'web-2 is bigger', configYaml: edited } });
    expect(proposed.status).toBe(201);
    expect(proposed.body.diff).toEqual(['pools.web: web-2 weight 100 -> 150']);
    await fixture.call('POST', `/api/v1/changes/${proposed.body.id}/approve`, { role: 'approver' });
    expect((await fixture.call('POST', `/api/v1/changes/${proposed.body.id}/apply`, { role: 'operator' })).status).toBe(200);
    expect(fixture.live.config.proxy.cookie_secret).toBe(COOKIE_SECRET);
    expect(fixture.live.config.monitor.webhooks[0]?.secret).toBe(WEBHOOK_SECRET);
  });

  it('refuses the placeholder where the live config has no secret to keep', async () => {
    fixture = await startAdminFixture();
    const yaml = `${FIXTURE_YAML}proxy:\n  cookie_secret: "${REDACTED_SECRET}"\n`;
    const response = await fixture.call('POST', '/api/v1/changes', { role: 'operator', body: { reason: 'copy from another node', configYaml: yaml } });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('EK_CHANGE_INVALID');
    expect(response.body.message).toContain('proxy.cookie_secret');
  });
});
