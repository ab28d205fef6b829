#!/usr/bin/env node
// The `evenkeel` command: runs the bundled CLI (`npm run build` writes dist/bundle/, scripts/bundle.js).
// V8's young generation is held small while the CLI's modules load; `serve` then bounds it and
// every other command gets V8's default growth back (src/node/heap-budget.ts).
import { holdYoungGeneration } from '../dist/bundle/heap-budget.js';

holdYoungGeneration();
const { main } = await import('../dist/bundle/evenkeel.js');

main(process.argv).then(
  (code) => { if (typeof code === 'number') process.exitCode = code; },
  (error) => { console.error(error instanceof Error ? error.message : String(error)); process.exitCode = 1; },
);
