import { execFile } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { shouldMarkOnEventLoop } from '../../src/node/single-cpu-marking.js';

// A serving process confined to one CPU marks the old generation on its event loop's thread
// (src/node/single-cpu-marking.ts). Checked in fresh Node processes, pinned with taskset or not,
// because what counts is the CPUs the kernel lets the process use and V8's flags are process-wide.
// (That the flag removes V8's marking helpers and what it does to p99 is measured, not asserted:
// docs/performance.md, bench/latency-ab.js.)

const run = promisify(execFile);
const markingModule = fileURLToPath(new URL('../../dist/node/single-cpu-marking.js', import.meta.url));

/** What markOnEventLoopWhenAlone() answered in a fresh child, pinned to CPU 0 or not. */
async function marksOnEventLoop(isPinned: boolean, nodeFlags: string[] = []): Promise<boolean> {
  const script = `const marking = await import(${JSON.stringify(markingModule)}); console.log(marking.markOnEventLoopWhenAlone());`;
  const node = [process.execPath, ...nodeFlags, '--input-type=module', '-e', script];
  const { stdout } = isPinned ? await run('taskset', ['-c', '0', ...node], { timeout: 30_000 }) : await run(node[0], node.slice(1), { timeout: 30_000 });
  return JSON.parse(stdout.trim()) as boolean;
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

  it('a process pinned to one CPU with taskset turns concurrent marking off; with more CPUs or an operator flag it does not', async () => {
    expect(await marksOnEventLoop(true)).toBe(true);
    expect(await marksOnEventLoop(true, ['--concurrent-marking'])).toBe(false);
    // This machine has 2 cores; on a one-core machine every process is "pinned".
    if (os.availableParallelism() > 1) expect(await marksOnEventLoop(false)).toBe(false);
  });
});
