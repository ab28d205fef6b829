import v8 from 'node:v8';
import { nodeFlags } from './node-flags.js';

// The memory V8 takes, once, to optimize undici's HTTP parser. undici parses every upstream response
// with llhttp compiled to WebAssembly; once the parser is hot (at the first upstream responses: the
// first health checks, else the first traffic) V8 recompiles its state-machine function with TurboFan
// on a helper thread, and that one compile held 29.5 MB of compiler memory for about 200 ms: the
// largest item of a node's peak RSS at 5,000 req/s (136 MB, against about 112 MB in steady state).
// Most of it comes from unrolling the parser's loops; without unrolling the compile holds 20 MB and
// the peak was 124 MB, with no CPU cost we could measure (docs/performance.md, 2026-12-07). The flag
// only concerns WebAssembly, so JavaScript is compiled as before. An operator who chose with Node
// flags (or NODE_OPTIONS) is left alone.

const OPERATOR_FLAG = /^--(no[-_])?wasm[-_]loop[-_]unrolling\b/;

/** True when the parser's loops should not be unrolled: no operator's choice. */
export function shouldSkipWasmLoopUnrolling(flags: readonly string[]): boolean {
  return !flags.some((flag) => OPERATOR_FLAG.test(flag));
}

/**
 * Turns off WebAssembly loop unrolling (see the top of this file). Call before the first upstream
 * connection: V8 reads the flag when it compiles.
 */
export function boundParserCompileMemory(): boolean {
  if (!shouldSkipWasmLoopUnrolling(nodeFlags())) return false;
  v8.setFlagsFromString('--no-wasm-loop-unrolling');
  return true;
}
