import { boundYoungGeneration } from './heap-budget.js';
import { boundParserCompileMemory } from './parser-compile-memory.js';
import { markOnEventLoopWhenAlone } from './single-cpu-marking.js';

/**
 * V8's settings for a process that serves traffic (the single process or each cluster worker), set
 * at its start before the first upstream connection: the young-generation budget (heap-budget.ts),
 * marking on the event loop when alone on one CPU (single-cpu-marking.ts) and the compile memory of
 * undici's parser (parser-compile-memory.ts). Each leaves an operator's own Node flags alone.
 */
export function tuneV8ForServing(): void {
  boundYoungGeneration();
  markOnEventLoopWhenAlone();
  boundParserCompileMemory();
}
