#!/usr/bin/env node
// The `evenkeel` command: runs the compiled CLI (`npm run build` writes dist/).
import { main } from '../dist/cli/index.js';

main(process.argv).then(
  (code) => { if (typeof code === 'number') process.exitCode = code; },
  (error) => { console.error(error instanceof Error ? error.message : String(error)); process.exitCode = 1; },
);
