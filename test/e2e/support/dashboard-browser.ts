import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';

// Drives the dashboard in a real headless Chromium (Debian's `chromium` package) against a real node.
// Every page is opened through openDashboard(), which records console errors and uncaught page
// errors so that a test can assert there were none.

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const ARTIFACTS_DIR = resolve(import.meta.dirname, '../../../test-artifacts/e2e');
export const DESKTOP = { width: 1280, height: 800 } as const;
export const PHONE = { width: 390, height: 844 } as const;

/** Launches Chromium; a missing browser fails the test with the command that installs it. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`the dashboard e2e tests need Chromium at ${CHROMIUM_PATH}: run \`apt-get install chromium\` (.ci/run installs it)`);
  }
  // --no-sandbox: CI containers run as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

export interface DashboardTab {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught exceptions seen so far. */
  errors: string[];
  /**
   * Runs a step whose refusal the test provokes on purpose (a wrong token, a self-approval): Chromium
   * logs every 4xx response as a console error, so the refused responses of `status` logged during the
   * step are not counted. Anything else logged meanwhile still is.
   */
  expectRefusal<T>(status: number, step: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** A fresh browser context (its own session storage) showing the dashboard of the node at adminUrl. */
export async function openDashboard(browser: Browser, adminUrl: string, viewport: { width: number; height: number } = DESKTOP): Promise<DashboardTab> {
  const context = await browser.newContext({ viewport, baseURL: adminUrl });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  // The node's root sends the browser to the dashboard.
  await page.goto('/');
  expect(new URL(page.url()).pathname).toBe('/dashboard/');
  const expectRefusal = async <T>(status: number, step: () => Promise<T>): Promise<T> => {
    const before = errors.length;
    const result = await step();
    const during = errors.splice(before);
    errors.push(...during.filter((line) => !line.includes(`Failed to load resource: the server responded with a status of ${status}`)));
    return result;
  };
  return { context, page, errors, expectRefusal, close: () => context.close() };
}

/** Signs in with `token` through the form, using the keyboard only, and waits for the navigation bar. */
export async function signIn(page: Page, token: string): Promise<void> {
  const field = page.getByLabel('Token');
  await field.waitFor();
  await field.focus();
  await page.keyboard.type(token);
  await page.keyboard.press('Enter');
  await page.getByRole('navigation', { name: 'Pages' }).waitFor();
}

export async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('Token').waitFor();
}

/** Saves a full-page screenshot to test-artifacts/e2e/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Sends requests through the proxy, one after another on `parallel` loops, until stopped (bounded). */
export function startTraffic(proxyUrl: string, parallel = 4, maxRequestsPerLoop = 20_000): { stop: () => Promise<number> } {
  let isStopping = false;
  const loops = Array.from({ length: parallel }, async () => {
    let sent = 0;
    for (; sent < maxRequestsPerLoop && !isStopping; sent++) {
      const response = await fetch(`${proxyUrl}/`);
      await response.arrayBuffer();
    }
    return sent;
  });
  return {
    stop: async () => {
      isStopping = true;
      return (await Promise.all(loops)).reduce((a, b) => a + b, 0);
    },
  };
}

/** Creates a token on the node with the test admin token; resolves to its text. */
export async function createNamedToken(adminUrl: string, adminToken: string, name: string, role: string): Promise<string> {
  const response = await fetch(`${adminUrl}/api/v1/tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name, role }),
  });
  const body = (await response.json()) as { token?: string; message?: string };
  if (response.status !== 201 || body.token === undefined) throw new Error(`could not create token ${name}: ${response.status} ${body.message ?? ''}`);
  return body.token;
}
