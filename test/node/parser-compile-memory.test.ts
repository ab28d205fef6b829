import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { shouldSkipWasmLoopUnrolling } from '../../src/node/parser-compile-memory.js';

// A serving process keeps V8 from unrolling WebAssembly loops, so that optimizing undici's HTTP
// parser takes less memory (src/node/parser-compile-memory.ts). Checked in fresh Node processes that
// make one request through undici: `--no-liftoff` makes V8 compile the parser with TurboFan at once
// (instead of once it is hot, which is when a node sees traffic), and V8's own trace reports the
// compiler memory of every function. What that does to a node's peak RSS is measured, not asserted
// (docs/performance.md, bench/latency-ab.js).

const run = promisify(execFile);
const compileModule = fileURLToPath(new URL('../../dist/node/parser-compile-memory.js', import.meta.url));
const undiciModule = fileURLToPath(import.meta.resolve('undici'));

/** Whether the child turned unrolling off, and the compiler memory of its largest wasm function. */
async function parserCompile(nodeFlags: string[] = []): Promise<{ applied: boolean; maxBytes: number }> {
  const script = `
    const { boundParserCompileMemory } = await import(${JSON.stringify(compileModule)});
    const applied = boundParserCompileMemory();
    const { createServer } = await import('node:http');
    const { request } = await import(${JSON.stringify(undiciModule)});
    const server = createServer((req, res) => res.end('ok')).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const response = await request('http://127.0.0.1:' + server.address().port + '/');
    await response.body.text();
    server.close();
    console.log('APPLIED ' + applied);`;
  const node = [...nodeFlags, '--no-liftoff', '--trace-wasm-compilation-times', '--input-type=module', '-e', script];
  const { stdout } = await run(process.execPath, node, { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
  const applied = /APPLIED (true|false)/.exec(stdout);
  const compiles = [...stdout.matchAll(/using TurboFan, took [\d.]+ ms and (\d+) \/ \d+ max\/total bytes/g)].map((match) => Number(match[1]));
  if (applied === null || compiles.length === 0) throw new Error(`unexpected output from the child:\n${stdout.slice(0, 2000)}`);
  return { applied: applied[1] === 'true', maxBytes: Math.max(...compiles) };
}

describe('the memory of optimizing the upstream parser', () => {
  it('leaves an operator-chosen loop unrolling alone', () => {
    expect(shouldSkipWasmLoopUnrolling([])).toBe(true);
    expect(shouldSkipWasmLoopUnrolling(['--max-semi-space-size=4'])).toBe(true);
    expect(shouldSkipWasmLoopUnrolling(['--wasm-loop-unrolling'])).toBe(false);
    expect(shouldSkipWasmLoopUnrolling(['--no-wasm-loop-unrolling'])).toBe(false);
    expect(shouldSkipWasmLoopUnrolling(['--no_wasm_loop_unrolling'])).toBe(false);
  });

  it('compiles undici’s parser with at least a fifth less compiler memory than with V8’s unrolling', async () => {
    const bounded = await parserCompile();
    const unrolled = await parserCompile(['--wasm-loop-unrolling']);
    expect(bounded.applied).toBe(true);
    expect(unrolled.applied).toBe(false);
    // Measured with Node 20.20: 20.0 MB against 29.5 MB.
    expect(bounded.maxBytes).toBeLessThan(unrolled.maxBytes * 0.8);
  }, 120_000);
});
