// Closed-loop throughput and CPU per request of evenkeel started with different Node flags (A/B),
// against the minimal proxy, in interleaved rounds: for settings whose effect on throughput is smaller
// than the host's noise between two runs. Each variant is one process for the whole run (like pass 1 of
// run.js), warmed up once, then loaded with wrk for --duration seconds per round; the order of the
// cells rotates each round. CPU µs per request (user + system time of the process tree, /proc) does not
// depend on which core was the bottleneck; each round's ratio to the minimal proxy is taken within the
// round, then the median over the rounds is printed.
//
//   node bench/throughput-ab.js --variant default= --variant liftoff=--liftoff-only [--rounds 8] [--duration 4]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cpuMicros } from './cpu-time.js';
import { peakRssMiB } from './memory.js';
import { ChildSet, hasCommand } from './processes.js';
import { formatTable, median } from './report.js';
import { CLIENT_CORE, startTarget, startUpstreams, TARGETS } from './targets.js';
import { evenkeelVariants } from './variants.js';
import { runWrk } from './wrk.js';

const CONNECTIONS = 64;
const MINIMAL = 'minimal-proxy';
const { values: flags } = parseArgs({
  options: {
    variant: { type: 'string', multiple: true, default: [] },
    rounds: { type: 'string', default: '8' },
    duration: { type: 'string', default: '4' },
    warmup: { type: 'string', default: '2' },
    nice: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help || flags.variant.length === 0) {
  process.stdout.write(`Usage: node bench/throughput-ab.js --variant NAME=[FLAG,FLAG...] [--variant ...] [--rounds 8] [--duration 4] [--warmup 2] [--nice=-10]

Each --variant is evenkeel started with those Node flags (comma-separated; empty for none), or
NAME@DIR=FLAGS for the build in another checkout DIR (to compare two builds in one run), e.g.
--variant default= --variant liftoff=--liftoff-only. A flag written NAME=VALUE in capitals is an
environment variable of that process (MALLOC_ARENA_MAX=2). The minimal proxy is measured too, as the
anchor of every round. Needs wrk; nginx makes the cheapest upstreams (else node:http).
`);
  process.exit(flags.help ? 0 : 2);
}

const rounds = Number(flags.rounds);
const load = { durationS: Number(flags.duration), connections: CONNECTIONS, core: CLIENT_CORE };
const cells = evenkeelVariants(flags.variant);
cells.push({ name: MINIMAL, target: TARGETS.find((target) => target.name === MINIMAL), nodeFlags: [] });

const log = (line) => process.stdout.write(`${line}\n`);
const workDir = mkdtempSync(join(tmpdir(), 'evenkeel-throughput-ab-'));
const children = new ChildSet({ niceness: flags.nice === undefined ? undefined : Number(flags.nice) });
try {
  if (!hasCommand('wrk')) throw new Error('wrk is not installed (Debian: apt-get install -y wrk)');
  if (!hasCommand('taskset')) log('taskset is not installed: processes are NOT pinned.');
  const upstreams = await startUpstreams(children, workDir);
  for (const cell of cells) {
    const started = await startTarget(cell.target, children, upstreams, workDir, cell.nodeFlags);
    if (started.skipped) throw new Error(`${cell.name} did not start: ${started.skipped}`);
    cell.started = started;
    await runWrk(children, started.url, { ...load, durationS: Number(flags.warmup) });
  }
  log(`${rounds} round(s) of wrk -t1 -c${CONNECTIONS} -d${load.durationS}s per cell, one process per cell for the whole run; upstreams: ${upstreams.kind}`);
  const runs = Object.fromEntries(cells.map((cell) => [cell.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < cells.length; i++) {
      const cell = cells[(i + round) % cells.length];
      const pid = cell.started.child.pid;
      const cpuBefore = cpuMicros(pid);
      const run = await runWrk(children, cell.started.url, load);
      run.cpuUsPerRequest = (cpuMicros(pid) - cpuBefore) / run.requests;
      runs[cell.name].push(run);
      log(`  round ${round + 1} ${cell.name.padEnd(20)} ${Math.round(run.requestsPerSecond).toString().padStart(7)} req/s  CPU ${run.cpuUsPerRequest.toFixed(1)} µs/req${run.errors ? `  errors ${run.errors}` : ''}`);
    }
  }
  const anchor = runs[MINIMAL];
  const rows = cells.map((cell) => {
    const list = runs[cell.name];
    // Ratios within each round, where both cells met the same state of the host.
    const rpsRatio = median(list.map((run, round) => run.requestsPerSecond / anchor[round].requestsPerSecond));
    const cpuRatio = median(list.map((run, round) => run.cpuUsPerRequest / anchor[round].cpuUsPerRequest));
    const cpu = list.map((run) => run.cpuUsPerRequest);
    return [
      cell.name,
      cell.nodeFlags.join(' ') || '—',
      Math.round(median(list.map((run) => run.requestsPerSecond))).toLocaleString('en-US'),
      `${rpsRatio.toFixed(2)}x`,
      median(cpu).toFixed(1),
      `${Math.min(...cpu).toFixed(0)}-${Math.max(...cpu).toFixed(0)}`,
      `${cpuRatio.toFixed(2)}x`,
      peakRssMiB(cell.started.child.pid).toFixed(0),
      String(list.reduce((sum, run) => sum + run.errors, 0)),
    ];
  });
  log(`\n== throughput, median of ${rounds} interleaved round(s); ratios to ${MINIMAL} taken within each round ==`);
  log(formatTable(['target', 'node flags', 'req/s', 'req/s vs minimal', 'CPU µs/req', 'CPU range', 'CPU vs minimal', 'peak RSS MB', 'errors'], rows));
} finally {
  await children.stopAll();
  rmSync(workDir, { recursive: true, force: true });
}
