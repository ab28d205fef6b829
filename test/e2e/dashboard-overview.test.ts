import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ADMIN_TOKEN } from '../integration/support/admin-client.js';
import { startPoolNode, type PoolNode } from '../integration/support/pool-node.js';
import { createNamedToken, launchChromium, openDashboard, PHONE, screenshot, signIn, startTraffic } from './support/dashboard-browser.js';

// An operator opens the dashboard of a running node, signs in with a viewer token and watches the
// numbers move while traffic flows: request counters, shares and the per-backend rate.

let node: PoolNode;
let browser: Browser;
let viewerToken: string;

beforeAll(async () => {
  browser = await launchChromium();
  node = await startPoolNode(['web-1', 'web-2', 'web-3'], 'portal', ['algorithm: round-robin']);
  viewerToken = await createNamedToken(node.adminUrl, TEST_ADMIN_TOKEN, 'vic', 'viewer');
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await node?.evenkeel.stop();
  await Promise.all((node?.upstreams ?? []).map((upstream) => upstream.close()));
});

/** The number shown in a data-testid element. */
async function shownNumber(page: import('playwright-core').Page, testId: string): Promise<number> {
  const text = await page.getByTestId(testId).innerText();
  return Number.parseFloat(text);
}

describe('the dashboard Overview on a running node', () => {
  it('refuses a wrong token, signs in with a viewer token and shows the live request counter change', async () => {
    // `evenkeel serve` (and so `npm start`) says where the dashboard is.
    expect(node.evenkeel.stdout()).toContain(`dashboard: ${node.adminUrl}/dashboard/`);
    const tab = await openDashboard(browser, node.adminUrl);
    const { page } = tab;
    try {
      await tab.expectRefusal(401, async () => {
        await page.getByLabel('Token').fill('ek_not_a_real_token');
        await page.getByRole('button', { name: 'Sign in' }).click();
        await expect.poll(() => page.getByRole('alert').innerText(), { timeout: 10_000 }).toMatch(/unknown, wrong or revoked/);
      });
      await page.getByLabel('Token').fill('');
      await screenshot(page, 'sign-in-desktop');

      await signIn(page, viewerToken);
      await expect.poll(() => page.getByTestId('whoami').innerText()).toMatch(/vic\s*\(viewer\)/);
      await page.getByTestId('pool-portal').waitFor();
      expect(await shownNumber(page, 'total-requests')).toBe(0);

      const traffic = startTraffic(node.proxyUrl, 3);
      try {
        await expect.poll(() => shownNumber(page, 'total-requests'), { timeout: 15_000, interval: 250 }).toBeGreaterThan(20);
        const first = await shownNumber(page, 'total-requests');
        // The stream brings a new sample every second: the counter keeps moving while traffic flows.
        await expect.poll(() => shownNumber(page, 'total-requests'), { timeout: 10_000, interval: 250 }).not.toBe(first);
        await expect.poll(() => shownNumber(page, 'total-rps'), { timeout: 10_000 }).toBeGreaterThan(0);
        for (const backend of ['web-1', 'web-2', 'web-3']) {
          const row = page.getByTestId(`backend-${backend}`);
          await expect.poll(() => row.innerText()).toMatch(/healthy/);
          // Round robin over three equal weights: each expected at a third.
          expect(await row.innerText()).toContain('33.3%');
          await expect.poll(async () => Number.parseFloat(await row.getByTestId('rps').innerText()), { timeout: 10_000 }).toBeGreaterThan(0);
        }
        await expect.poll(() => page.locator('figure.chart canvas').count()).toBeGreaterThanOrEqual(2);
        await screenshot(page, 'overview-desktop');
      } finally {
        await traffic.stop();
      }
      expect(tab.errors).toEqual([]);
    } finally {
      await tab.close();
    }
  });

  it('fits a phone-sized screen and moves between the pages by keyboard', async () => {
    const tab = await openDashboard(browser, node.adminUrl, PHONE);
    const { page } = tab;
    try {
      await signIn(page, viewerToken);
      await page.getByTestId('pool-portal').waitFor();
      // Nothing wider than the screen but the backend table, which scrolls inside its own box.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(1);
      await screenshot(page, 'overview-phone');

      // Tab from the top: the skip link, then the page links, in order.
      await page.keyboard.press('Tab');
      await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
      await page.keyboard.press('Tab');
      await page.keyboard.press('Tab');
      await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Changes');
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'Changes', level: 1 }).waitFor();
      expect(await page.getByRole('link', { name: 'Changes' }).getAttribute('aria-current')).toBe('page');
      // The new page's content has the focus, so the next Tab goes into it.
      await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('main');
      expect(await page.title()).toBe('Changes · evenkeel');
      expect(tab.errors).toEqual([]);
    } finally {
      await tab.close();
    }
  });

  it('returns to sign-in, saying why, when the token is revoked while the page is open', async () => {
    const token = await createNamedToken(node.adminUrl, TEST_ADMIN_TOKEN, 'temp', 'viewer');
    const tab = await openDashboard(browser, node.adminUrl);
    const { page } = tab;
    try {
      await signIn(page, token);
      await page.getByTestId('pool-portal').waitFor();
      await tab.expectRefusal(401, async () => {
        const revoked = await fetch(`${node.adminUrl}/api/v1/tokens/temp`, { method: 'DELETE', headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
        expect(revoked.status).toBe(200);
        await revoked.arrayBuffer();
        // The stream ends at its next sample; the page then learns the token is refused.
        await expect.poll(() => page.getByLabel('Token').count(), { timeout: 15_000, interval: 250 }).toBe(1);
        expect(await page.locator('.notice').innerText()).toMatch(/^Signed out: the token is unknown, wrong or revoked/);
      });
      expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
      expect(tab.errors).toEqual([]);
    } finally {
      await tab.close();
    }
  });
});
