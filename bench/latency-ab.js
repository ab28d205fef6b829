// Latency at a fixed rate of evenkeel started with different Node flags (A/B), against the minimal
// proxy and direct, in interleaved rounds: for settings whose effect on p99 is smaller than the host's
// noise between two runs. Every cell starts a fresh process (like pass 2 of run.js), resets its RSS
// high-water mark once it answers, loads it with open-loop.js for --warmup + --duration seconds and
// stops it; the order of the variants rotates each round. Prints every cell, then the median and the
// range over the rounds.
//
//   node bench/latency-ab.js --variant default= --variant concurrent-marking=--concurrent-marking [--rounds 5] [--duration 20] [--rate 5000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { cpuMicros } from './cpu-time.js';
import { peakRssMiB, resetPeakRss } from './memory.js';
import { runOpenLoop } from './open-loop.js';
import { ChildSet, hasCommand } from './processes.js';
import { formatTable, median } from './report.js';
import { CLIENT_CORE, startTarget, startUpstreams, TARGETS } from './targets.js';
import { evenkeelVariants } from './variants.js';

const CONNECTIONS = 64;
const { values: flags } = parseArgs({
  options: {
    variant: { type: 'string', multiple: true, default: [] },
    rounds: { type: 'string', default: '5' },
    duration: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '3' },
    rate: { type: 'string', default: '5000' },
    'no-minimal': { type: 'boolean', default: false },
    'no-direct': { type: 'boolean', default: false },
    nice: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help || flags.variant.length === 0) {
  process.stdout.write(`Usage: node bench/latency-ab.js --variant NAME=[FLAG,FLAG...] [--variant ...] [--rounds 5] [--duration 20] [--warmup 3] [--rate 5000] [--no-minimal] [--no-direct] [--nice=-10]

Each --variant is evenkeel started with those Node flags (comma-separated; empty for none), or
NAME@DIR=FLAGS for the build in another checkout DIR (to compare two builds in one run), e.g.
--variant default= --variant concurrent=--concurrent-marking. A flag written NAME=VALUE in capitals
is an environment variable of that process (MALLOC_ARENA_MAX=2). The minimal proxy and direct are
measured too unless --no-minimal / --no-direct. Needs nginx for the cheapest upstreams (else node:http).
`);
  process.exit(flags.help ? 0 : 2);
}

const rounds = Number(flags.rounds);
const load = { rate: Number(flags.rate), durationS: Number(flags.duration), warmupS: Number(flags.warmup), connections: CONNECTIONS, core: CLIENT_CORE };
const byName = (name) => TARGETS.find((target) => target.name === name);
const cells = evenkeelVariants(flags.variant);
if (!flags['no-minimal']) cells.push({ name: 'minimal-proxy', target: byName('minimal-proxy'), nodeFlags: [] });
if (!flags['no-direct']) cells.push({ name: 'direct', target: byName('direct'), nodeFlags: [] });

const log = (line) => process.stdout.write(`${line}\n`);
const workDir = mkdtempSync(join(tmpdir(), 'evenkeel-latency-ab-'));
const children = new ChildSet({ niceness: flags.nice === undefined ? undefined : Number(flags.nice) });
try {
  if (!hasCommand('taskset')) log('taskset is not installed: processes are NOT pinned.');
  const upstreams = await startUpstreams(children, workDir);
  log(`${rounds} round(s); each cell: fresh process, ${load.warmupS} s warm-up + ${load.durationS} s at ${load.rate} req/s (open loop, ${CONNECTIONS} connections); upstreams: ${upstreams.kind}`);
  const runs = Object.fromEntries(cells.map((cell) => [cell.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < cells.length; i++) {
      const cell = cells[(i + round) % cells.length];
      const started = await startTarget(cell.target, children, upstreams, workDir, cell.nodeFlags);
      if (started.skipped) {
        log(`  round ${round + 1} ${cell.name}: skipped (${started.skipped})`);
        continue;
      }
      const child = started.child;
      if (child) resetPeakRss(child.pid);
      const cpuBefore = child ? cpuMicros(child.pid) : NaN;
      const startedMs = performance.now();
      const run = await runOpenLoop(children, started.url, load);
      run.cpuPercent = child ? ((cpuMicros(child.pid) - cpuBefore) / ((performance.now() - startedMs) * 1000)) * 100 : NaN;
      run.peakRssMiB = child ? peakRssMiB(child.pid) : NaN;
      if (child) await children.stop(child);
      runs[cell.name].push(run);
      log(`  round ${round + 1} ${cell.name.padEnd(20)} p99 ${run.p99Ms.toFixed(2)} ms  p99.9 ${run.p999Ms.toFixed(2)} ms  service p99 ${run.serviceP99Ms.toFixed(2)} ms${child ? `  CPU ${run.cpuPercent.toFixed(0)}%  peak RSS ${run.peakRssMiB.toFixed(0)} MB` : ''}${run.errors ? `  errors ${run.errors}` : ''}`);
    }
  }
  const range = (list, key) => `${Math.min(...list.map((run) => run[key])).toFixed(2)}-${Math.max(...list.map((run) => run[key])).toFixed(2)}`;
  const rows = cells
    .filter((cell) => runs[cell.name].length > 0)
    .map((cell) => {
      const list = runs[cell.name];
      const middle = (key) => median(list.map((run) => run[key]));
      const isProcess = cell.name !== 'direct';
      return [
        cell.name,
        cell.nodeFlags.join(' ') || '—',
        middle('p99Ms').toFixed(2),
        range(list, 'p99Ms'),
        middle('p999Ms').toFixed(2),
        range(list, 'p999Ms'),
        middle('serviceP99Ms').toFixed(2),
        isProcess ? middle('cpuPercent').toFixed(0) : '—',
        isProcess ? middle('peakRssMiB').toFixed(0) : '—',
        String(list.reduce((sum, run) => sum + run.errors, 0)),
      ];
    });
  log(`\n== latency at ${load.rate} req/s, median of ${rounds} interleaved round(s), ms from the scheduled send time ==`);
  log(formatTable(['target', 'node flags', 'p99', 'p99 range', 'p99.9', 'p99.9 range', 'service p99', 'CPU %', 'peak RSS MB', 'errors'], rows));
} finally {
  await children.stopAll();
  rmSync(workDir, { recursive: true, force: true });
}
