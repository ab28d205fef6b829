import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { shouldMarkOnEventLoop } from '../../src/node/single-cpu-marking.js';

// A serving process confined to one CPU marks the old generation on its event loop's thread
// (src/node/single-cpu-marking.ts). Checked in fresh Node processes pinned with taskset, because
// V8's flags are process-wide: V8's own trace shows whether helper threads marked alongside.

const run = promisify(execFile);
const markingModule = fileURLToPath(new URL('../../dist/node/single-cpu-marking.js', import.meta.url));

/** Helper tasks beyond the first that V8 started for concurrent marking in a pinned child. */
async function extraMarkingTasks(callMarking: boolean, nodeFlags: string[] = []): Promise<number> {
  const script = `
    const marking = await import(${JSON.stringify(markingModule)});
    ${callMarking ? 'marking.markOnEventLoopWhenAlone();' : ''}
    // Enough old-generation churn for several full collections.
    const kept = [];
    for (let i = 0; i < 2e6; i++) { kept.push({ i, list: [i] }); if (kept.length > 5e5) kept.splice(0, 2.5e5); }
  `;
  const { stdout } = await run('taskset', ['-c', '0', process.execPath, '--trace-concurrent-marking', ...nodeFlags, '--input-type=module', '-e', script], {
    timeout: 60_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout.split('\n').filter((line) => /Starting major concurrent marking task [2-9]/.test(line)).length;
}

describe('marking on one CPU', () => {
  it('decides from the CPUs the process may use and leaves an operator-chosen marking mode alone', () => {
    expect(shouldMarkOnEventLoop(1, [])).toBe(true);
    expect(shouldMarkOnEventLoop(2, [])).toBe(false);
    expect(shouldMarkOnEventLoop(1, ['--concurrent-marking'])).toBe(false);
    expect(shouldMarkOnEventLoop(1, ['--no-concurrent-marking'])).toBe(false);
    expect(shouldMarkOnEventLoop(1, ['--single-threaded-gc'])).toBe(false);
    expect(shouldMarkOnEventLoop(1, ['--max-semi-space-size=4'])).toBe(true);
  });

  it('a process pinned to one CPU marks without helper threads, where V8 alone starts several', async () => {
    expect(await extraMarkingTasks(false)).toBeGreaterThan(0);
    expect(await extraMarkingTasks(true)).toBe(0);
    // The operator's explicit choice wins.
    expect(await extraMarkingTasks(true, ['--concurrent-marking'])).toBeGreaterThan(0);
  });
});
