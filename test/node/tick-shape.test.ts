import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// The nextTick() shape a serving process keeps alive (src/node/tick-shape.ts), checked in a fresh
// Node process because it is about V8's inline caches. V8 prints a function's caches with
// %DebugPrint under --allow-natives-syntax; "MEGAMORPHIC" on the caches of nextTick()'s object
// literal means every later nextTick() defines its properties through V8's runtime (measured: 8-10 µs
// a proxied request). The control case shows the probe sees the problem where it exists.

const run = promisify(execFile);
const heapBudgetModule = fileURLToPath(new URL('../../dist/node/heap-budget.js', import.meta.url));

/** The states of nextTick()'s literal caches after start-up, an idle full collection and more ticks. */
async function literalCacheStates(startUp: string): Promise<string[]> {
  const script = `
    const budget = await import(${JSON.stringify(heapBudgetModule)});
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    const ticks = async () => { for (let i = 0; i < 2000; i++) process.nextTick(() => {}); await turn(); };
    await ticks();
    ${startUp}
    await turn();
    // An idle process: no nextTick() entry is alive when V8's memory reducer runs a full collection.
    globalThis.gc();
    await ticks();
    %DebugPrint(process.nextTick);
  `;
  const { stdout } = await run(process.execPath, ['--allow-natives-syntax', '--expose-gc', '--input-type=module', '-e', script], { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
  return [...stdout.matchAll(/DefineKeyedOwnPropertyInLiteral (\w+)/g)].map((match) => match[1]);
}

describe("nextTick()'s shape in a serving process", () => {
  it("stays on V8's fast path after the start-up collection and an idle one", async () => {
    const control = await literalCacheStates('globalThis.gc();');
    expect(control.length).toBeGreaterThan(0);
    expect(control).toContain('MEGAMORPHIC');

    const serving = await literalCacheStates('budget.collectAfterStart();');
    expect(serving.length).toBe(control.length);
    expect(serving.every((state) => state === 'MONOMORPHIC')).toBe(true);
  });
});
