import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCall, TEST_ADMIN_TOKEN } from '../integration/support/admin-client.js';
import { startPoolNode, type PoolNode } from '../integration/support/pool-node.js';
import { createNamedToken, launchChromium, openDashboard, screenshot, signIn, signOut } from './support/dashboard-browser.js';

// The two-person rule in the browser: alice proposes a weight change through the API; in the
// dashboard she cannot approve it herself (the button shows the server's refusal), bob can, and then
// applies it, and the node's live config follows.

let node: PoolNode;
let browser: Browser;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  browser = await launchChromium();
  node = await startPoolNode(['web-1', 'web-2', 'web-3'], 'portal', ['algorithm: round-robin']);
  for (const [name, role] of [['alice', 'approver'], ['bob', 'approver']] as const) tokens[name] = await createNamedToken(node.adminUrl, TEST_ADMIN_TOKEN, name, role);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await node?.evenkeel.stop();
  await Promise.all((node?.upstreams ?? []).map((upstream) => upstream.close()));
});

async function propose(token: string, reason: string, weight: number): Promise<number> {
  const response = await fetch(`${node.adminUrl}/api/v1/changes`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ reason, operations: [{ op: 'set_weight', pool: 'portal', backend: 'web-1', weight }] }),
  });
  const body = (await response.json()) as { id: number; needsApproval: boolean; message?: string };
  expect(response.status, body.message).toBe(201);
  expect(body.needsApproval).toBe(true);
  return body.id;
}

describe('the dashboard Changes page', () => {
  it("refuses the author's own approval with the server's reason, lets another approver approve and apply", async () => {
    const id = await propose(tokens.alice, 'give web-1 a bit more for the test', 150);
    const tab = await openDashboard(browser, node.adminUrl);
    const { page } = tab;
    try {
      await signIn(page, tokens.alice);
      await page.getByRole('link', { name: 'Changes' }).click();
      await page.getByTestId(`change-${id}`).click();
      const detail = page.getByTestId('change-detail');
      await detail.waitFor();
      expect(await page.getByTestId('change-diff').innerText()).toMatch(/web-1.*100.*150/);
      expect(await detail.innerText()).toContain('You proposed this change');
      await page.getByTestId('simulation').waitFor();

      await tab.expectRefusal(403, async () => {
        await page.getByRole('button', { name: 'Approve' }).click();
        await expect.poll(() => page.getByTestId('change-outcome').innerText(), { timeout: 10_000 }).toContain(`refused: you proposed change ${id}; a different approver must approve it`);
      });
      expect(await page.getByRole('alert').innerText()).toContain('EK_CHANGE_SELF_APPROVAL');
      await screenshot(page, 'changes-self-approval-refused');
      expect((await adminCall(node.adminUrl, 'GET', `/api/v1/changes/${id}`)).body.status).toBe('proposed');

      await signOut(page);
      await signIn(page, tokens.bob);
      await page.goto(`/dashboard/#/changes/${id}`);
      await page.getByLabel('Comment (optional)').fill('fine by me');
      await page.getByRole('button', { name: 'Approve' }).click();
      await expect.poll(() => page.getByTestId('change-outcome').innerText(), { timeout: 10_000 }).toBe(`Change ${id} approved.`);
      expect(await page.getByTestId('change-detail').innerText()).toMatch(/bob approved .*fine by me/);
      const approved = await adminCall(node.adminUrl, 'GET', `/api/v1/changes/${id}`);
      expect(approved.body).toMatchObject({ status: 'approved', approvals: [{ approver: 'bob', decision: 'approve', comment: 'fine by me' }] });

      const liveBefore = (await adminCall(node.adminUrl, 'GET', '/api/v1/config')).body.version as number;
      await page.getByRole('button', { name: 'Apply' }).click();
      await expect.poll(() => page.getByTestId('change-outcome').innerText(), { timeout: 10_000 }).toBe(`Applied: the live config is now version ${liveBefore + 1}.`);
      const live = await adminCall(node.adminUrl, 'GET', '/api/v1/config');
      expect(live.body.version).toBe(liveBefore + 1);
      expect(live.body.config.pools.portal.backends.find((backend: { id: string }) => backend.id === 'web-1').weight).toBe(150);
      await screenshot(page, 'changes-applied');
      expect(tab.errors).toEqual([]);
    } finally {
      await tab.close();
    }
  });
});
