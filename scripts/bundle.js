#!/usr/bin/env node
// Bundles the compiled CLI (dist/, written by tsc) into dist/bundle/, which `bin/evenkeel.js` runs.
//
// Why: V8 keeps the source text of every JavaScript module it loads, to compile functions lazily.
// Unbundled, `evenkeel serve` loads about 650 modules (ours and those of zod, kysely, undici, Fastify...)
// whose source is 6 MB, and the node's live heap carries it, plus the old generation's growth
// allowance over it. Bundled and minified, the same code is 2.7 MB in a few files: measured at
// 5,000 req/s, 5-10 MB less resident in steady state (17 MB less at the peak) and the first answer
// 0.65-0.7 s after start instead of 1.2-1.4 s (docs/performance.md, "Bundling the serving process").
//
// What stays outside: better-sqlite3 (a native addon) and pg (loaded only by fleet nodes).
// Every output file lands in dist/bundle/ itself, so that `new URL('./worker-entry.js',
// import.meta.url)` in the cluster primary finds the workers' entry beside whatever chunk holds it.
// Stack traces name the minified files; `node --enable-source-maps bin/evenkeel.js ...` maps them
// back to src/*.ts through the source maps written beside them (docs/running.md).
import { build } from 'esbuild';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}dist/bundle`;
const next = `${outdir}.next`;
const previous = `${outdir}.previous`;

rmSync(next, { recursive: true, force: true });
rmSync(previous, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: {
    evenkeel: 'dist/cli/index.js',
    'heap-budget': 'dist/node/heap-budget.js',
    'worker-entry': 'dist/node/worker-entry.js',
  },
  outdir: next,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['better-sqlite3', 'pg'],
  // Bundled CommonJS packages call require(); in ES module output it has to be defined.
  banner: { js: 'import { createRequire as __evenkeelCreateRequire } from "node:module"; const require = __evenkeelCreateRequire(import.meta.url);' },
  // Identifiers are renamed too: 1 MB less source than whitespace alone and, measured, 3-5 MB less
  // resident. esbuild's keepNames is left off: it calls a helper each time a closure is created,
  // requests included (1.40x the minimal proxy's CPU per request against 1.21x without it). Our
  // error classes set their `name` themselves, so messages and stack traces still name them.
  minify: true,
  sourcemap: 'linked',
  sourcesContent: false,
  logLevel: 'warning',
});

// The new bundle replaces the old one by two renames, not by deleting the old one first and writing
// for half a second: an `evenkeel` started during a rebuild (a test, a drill, another terminal) finds
// a whole bundle, old or new.
if (existsSync(outdir)) renameSync(outdir, previous);
renameSync(next, outdir);
rmSync(previous, { recursive: true, force: true });
