import { once } from 'node:events';
import type { EvenkeelProcess } from './evenkeel-process.js';

/** The admin token every node started by these tests bootstraps (EVENKEEL_BOOTSTRAP_TOKEN). */
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789abcdef0123456789';

/** Calls the admin API with a token (the test admin token by default); resolves to the status and the parsed body. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test bodies are checked field by field
export async function adminCall(adminUrl: string, method: string, path: string, body?: unknown, token: string = TEST_ADMIN_TOKEN): Promise<{ status: number; body: any }> {
  const response = await fetch(adminUrl + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
}

/** Which upstream served each of `count` requests through the proxy (the `x-upstream` header). */
export async function servedBy(proxyUrl: string, count: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${proxyUrl}/`);
    await response.arrayBuffer();
    const name = response.headers.get('x-upstream') ?? `status ${response.status}`;
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

/** Resolves to the exit code and signal once the process is gone. */
export async function exited(evenkeel: EvenkeelProcess): Promise<{ code: number | null; signal: string | null }> {
  const { child } = evenkeel;
  if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, signal: child.signalCode };
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
  return { code, signal };
}
