import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCall, TEST_ADMIN_TOKEN } from '../integration/support/admin-client.js';
import { startPoolNode, type PoolNode } from '../integration/support/pool-node.js';
import { createNamedToken, launchChromium, openDashboard, PHONE, screenshot, signIn } from './support/dashboard-browser.js';

// An operator rehearses the postmortem from the dashboard: starts the built-in drill, watches its
// phase and progress, and reads (and can download) its report when it ends. A viewer sees the same
// page without the Start buttons.

const SCENARIO = 'postmortem-2024-05-01';

let node: PoolNode;
let browser: Browser;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  browser = await launchChromium();
  node = await startPoolNode(['web-1', 'web-2'], 'web', ['algorithm: round-robin']);
  for (const [name, role] of [['olga', 'operator'], ['vic', 'viewer']] as const) tokens[name] = await createNamedToken(node.adminUrl, TEST_ADMIN_TOKEN, name, role);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await node?.evenkeel.stop();
  await Promise.all((node?.upstreams ?? []).map((upstream) => upstream.close()));
});

describe('the dashboard Incidents & drills page', () => {
  it('starts a built-in drill as an operator, shows its progress, then its report with a Markdown download', { timeout: 150_000 }, async () => {
    const scenarios = (await adminCall(node.adminUrl, 'GET', '/api/v1/drills/scenarios')).body as { name: string; title: string }[];
    const title = scenarios.find((scenario) => scenario.name === SCENARIO)!.title;

    const viewer = await openDashboard(browser, node.adminUrl, PHONE);
    try {
      await signIn(viewer.page, tokens.vic);
      await viewer.page.getByRole('link', { name: 'Incidents & drills' }).click();
      await expect.poll(() => viewer.page.getByTestId('drills').innerText(), { timeout: 10_000 }).toContain(title);
      expect(await viewer.page.getByRole('button', { name: /^Start drill/ }).count()).toBe(0);
      expect(await viewer.page.getByTestId('drills').innerText()).toContain('Your role (viewer) may watch drills');
      await screenshot(viewer.page, 'incidents-phone');
      expect(viewer.errors).toEqual([]);
    } finally {
      await viewer.close();
    }

    const tab = await openDashboard(browser, node.adminUrl);
    const { page } = tab;
    try {
      await signIn(page, tokens.olga);
      await page.goto('/dashboard/#/incidents');
      await page.getByLabel("Speed (divides the scenario's durations)").fill('20');
      await page.getByRole('button', { name: `Start drill ${title}` }).click();
      const progress = page.getByTestId('drill-progress');
      await expect.poll(() => progress.innerText(), { timeout: 10_000 }).toMatch(new RegExp(`Running: ${SCENARIO}, started by olga`));
      // While it runs, every Start button waits.
      expect(await page.getByRole('button', { name: `Start drill ${title}` }).isDisabled()).toBe(true);
      const firstFraction = Number(await page.locator('#drill-progress-bar').getAttribute('value'));
      await expect.poll(async () => Number(await page.locator('#drill-progress-bar').getAttribute('value')), { timeout: 30_000, interval: 500 }).toBeGreaterThan(firstFraction);
      await screenshot(page, 'drill-running');

      await expect.poll(() => progress.innerText(), { timeout: 100_000, interval: 1000 }).toMatch(/Last drill: .*(pass|fail|error)/);
      await progress.getByRole('link', { name: 'report' }).click();
      const report = page.getByTestId('report-markdown');
      await expect.poll(() => report.innerText(), { timeout: 10_000 }).toMatch(new RegExp(`^# Drill report: .*\\(${SCENARIO}\\)`));
      expect(await report.innerText()).toContain('## Targets');
      const download = page.getByRole('link', { name: /^Download drill-\d+\.md$/ });
      expect(await download.count()).toBe(1);
      const [file] = await Promise.all([page.waitForEvent('download'), download.click()]);
      expect(file.suggestedFilename()).toMatch(/^drill-\d+\.md$/);
      await screenshot(page, 'drill-report');
      expect(tab.errors).toEqual([]);
    } finally {
      await tab.close();
    }
  });
});
