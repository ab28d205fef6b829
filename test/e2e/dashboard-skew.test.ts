import { setTimeout as delay } from 'node:timers/promises';
import type { Browser } from 'playwright-core';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCall, TEST_ADMIN_TOKEN } from '../integration/support/admin-client.js';
import { freePort, startEvenkeel, startUpstream, withTestStore, type EvenkeelProcess, type TestUpstream } from '../integration/support/evenkeel-process.js';
import { createNamedToken, launchChromium, openDashboard, screenshot, signIn } from './support/dashboard-browser.js';
import { startStickySessions } from '../integration/support/sticky-sessions.js';

// The postmortem of 2024-05-01 as an operator watching the dashboard sees it (the same story as
// test/integration/monitor-postmortem.test.ts): an automation script raises web-1 and web-2 and
// loosens the persistence bound, sessions pile onto them, the weights go back but the pinned sessions
// stay. The Overview must show the firing skew alert with its diagnosis, then the node's rollback.

const NAMES = ['web-1', 'web-2', 'web-3', 'web-4', 'web-5'];
const SESSIONS = 36;
const SERVICE_MS = 30;
const MAX_REQUESTS_PER_SESSION = 4000;

let upstreams: TestUpstream[];
let evenkeel: EvenkeelProcess;
let proxyUrl: string;
let adminUrl: string;
let proxyPort: number;
let adminPort: number;
let agent: Agent;
let browser: Browser;
const tokens: Record<string, string> = {};

function configYaml(weights: { 'web-1': number; 'web-2': number }, bound: number): string {
  const backends = upstreams.map((upstream) => `      - { id: ${upstream.name}, url: "${upstream.url}", weight: ${(weights as Record<string, number>)[upstream.name] ?? 100} }`).join('\n');
  return `listen: { http: "127.0.0.1:${proxyPort}" }
admin: { listen: "127.0.0.1:${adminPort}" }
pools:
  portal:
    algorithm: round-robin
    slow_start: 0s
    persistence: { by: cookie, name: ek_session, ttl: 30m, bound: ${bound} }
    backends:
${backends}
routes:
  - { match: { path_prefix: "/" }, pool: portal }
workers: 1
policy:
  guardrails: { forbid_bound_removal: false }
monitor:
  skew: { window: 10s, for: 2s }
`;
}

/** The admin API as the named test token. */
function as(name: string, method: string, path: string, body?: unknown) {
  return adminCall(adminUrl, method, path, body, tokens[name]);
}

/** weights.sh proposes, alice approves and applies (through the API); resolves to the applied change. */
async function scriptChange(yaml: string, reason: string): Promise<{ id: number; appliedVersion: number }> {
  const proposed = await as('weights.sh', 'POST', '/api/v1/changes', { reason, configYaml: withTestStore(yaml, evenkeel.dir) });
  expect(proposed.status, JSON.stringify(proposed.body)).toBe(201);
  expect((await as('alice', 'POST', `/api/v1/changes/${proposed.body.id}/approve`, {})).status).toBe(200);
  const applied = await as('alice', 'POST', `/api/v1/changes/${proposed.body.id}/apply`, {});
  expect(applied.status, JSON.stringify(applied.body)).toBe(200);
  return applied.body;
}

beforeAll(async () => {
  browser = await launchChromium();
  agent = new Agent({ connections: SESSIONS * 2 });
  upstreams = await Promise.all(NAMES.map((name) => startUpstream(name, SERVICE_MS)));
  proxyPort = await freePort();
  adminPort = await freePort();
  proxyUrl = `http://127.0.0.1:${proxyPort}`;
  adminUrl = `http://127.0.0.1:${adminPort}`;
  evenkeel = await startEvenkeel(configYaml({ 'web-1': 100, 'web-2': 100 }, 1.25), [], {
    EVENKEEL_BOOTSTRAP_TOKEN: TEST_ADMIN_TOKEN,
    EVENKEEL_COOKIE_SECRET: 'dashboard-skew-test-cookie-secret',
  });
  for (const [name, role] of [['weights.sh', 'automation'], ['alice', 'approver'], ['vic', 'viewer']] as const) tokens[name] = await createNamedToken(adminUrl, TEST_ADMIN_TOKEN, name, role);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await evenkeel?.stop();
  await Promise.all((upstreams ?? []).map((upstream) => upstream.close()));
  await agent?.close();
});

describe('the dashboard during a skew', () => {
  it('shows the firing skew alert with its diagnosis and then the automatic rollback in the Overview', async () => {
    const tab = await openDashboard(browser, adminUrl);
    const { page } = tab;
    try {
      await signIn(page, tokens.vic);
      await page.getByTestId('pool-portal').waitFor();
      expect(await page.getByTestId('firing-count').innerText()).toBe('0');

      const changeA = await scriptChange(configYaml({ 'web-1': 400, 'web-2': 400 }, 10), 'weights.sh: rebalance for the sale');
      const sessions = startStickySessions(proxyUrl, agent, SESSIONS, MAX_REQUESTS_PER_SESSION);
      try {
        // Let the sessions pin themselves to web-1 and web-2 under change A's weights.
        await delay(2500);
        await scriptChange(configYaml({ 'web-1': 100, 'web-2': 100 }, 10), 'weights.sh: restore weights');

        const firing = page.getByTestId('firing-alerts');
        await expect.poll(async () => ((await firing.count()) === 0 ? '' : firing.innerText()), { timeout: 30_000, interval: 250 }).toMatch(/skew · portal[\s\S]*web-[12] and web-[12] carry \d+% of requests, expected 40%/);
        expect(await firing.innerText()).toContain(`change ${changeA.id} (automation 'weights.sh'`);
        // Over-served backends are drawn red next to their expected share.
        await expect.poll(() => page.locator('[data-testid="backend-web-1"] .bar.observed.over, [data-testid="backend-web-2"] .bar.observed.over').count()).toBeGreaterThan(0);
        await screenshot(page, 'overview-skew-firing');

        const recent = page.getByTestId('recent-alerts');
        await expect.poll(() => recent.innerText(), { timeout: 30_000, interval: 250 }).toMatch(new RegExp(`rollback\\s+rolled back change ${changeA.id}: version \\d+ restored as version \\d+`));
        await screenshot(page, 'overview-skew-rolled-back');
      } finally {
        await sessions.stop();
      }
      expect((await adminCall(adminUrl, 'GET', `/api/v1/changes/${changeA.id}`)).body.status).toBe('rolled_back');

      // The Timeline puts the script's changes, the alert and the rollback on one axis.
      await page.getByRole('link', { name: 'Timeline' }).click();
      const events = page.getByTestId('timeline-events');
      await events.waitFor();
      await expect.poll(() => events.locator('tr[data-category="rollback"]').count(), { timeout: 10_000 }).toBeGreaterThan(0);
      expect(await events.locator('tr[data-category="alert"]', { hasText: 'firing' }).count()).toBeGreaterThan(0);
      expect(await events.locator('tr[data-category="change"]', { hasText: 'weights.sh' }).count()).toBeGreaterThan(0);
      expect(await page.getByTestId('timeline-axis').locator('.mark').count()).toBeGreaterThan(3);
      await screenshot(page, 'timeline-desktop');
      // Only alerts, then only what mentions the script.
      for (const category of ['Changes', 'Rollbacks', 'Health', 'Incidents & drills', 'Other']) await page.getByRole('checkbox', { name: category }).uncheck();
      await expect.poll(() => events.locator('tbody tr:not([data-category="alert"])').count()).toBe(0);
      await page.getByRole('checkbox', { name: 'Changes' }).check();
      await page.getByLabel('Search').fill('weights.sh');
      await expect.poll(() => events.locator('tbody tr[data-category="alert"]', { hasNotText: 'weights.sh' }).count()).toBe(0);
      expect(await events.locator('tbody tr[data-category="change"]').count()).toBeGreaterThan(0);

      // Incidents & drills: the skew opened an incident (or the node says it has no incident API yet).
      await tab.expectRefusal(404, async () => {
        await page.getByRole('link', { name: 'Incidents & drills' }).click();
        const incidents = page.getByTestId('incidents');
        await expect.poll(() => incidents.innerText(), { timeout: 10_000 }).toMatch(/#\d+ .*skew|web-[12]|not available on this node/);
        if ((await incidents.getByTestId('not-available').count()) === 0) {
          await incidents.locator('a.list-item').first().click();
          const report = page.getByTestId('incident-detail');
          await expect.poll(() => report.innerText(), { timeout: 10_000 }).toMatch(/detected[\s\S]*(^# |not available on this node)/m);
          if ((await report.getByTestId('report-markdown').count()) > 0) {
            expect(await report.getByTestId('report-markdown').innerText()).toMatch(/^# /);
            expect(await page.getByRole('link', { name: /^Download incident-\d+\.md$/ }).count()).toBe(1);
          }
        }
        const drills = page.getByTestId('drills');
        await expect.poll(() => drills.innerText(), { timeout: 10_000 }).not.toContain('Loading');
        await screenshot(page, 'incidents-desktop');
      });
      expect(tab.errors).toEqual([]);
    } finally {
      await tab.close();
    }
  }, 90_000);
});
