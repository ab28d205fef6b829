// `npm run bench`: evenkeel against the alternatives, in one run, on one machine.
// Pass 1 (closed loop, wrk): every target in interleaved rounds, the order rotated each round, so
// that background noise is spread over all targets instead of landing on one. Pass 2 (open loop,
// fixed rate): latency at a moderate load, from freshly started proxies so that peak RSS is the one
// under that load. Then the issue's targets as PASS/FAIL, then bench/balance.ts.
//
//   node bench/run.js [--quick] [--rounds 3] [--duration 10] [--rate 5000] [--json FILE] [--nice=-10] [--skip-balance]
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cpuMicros } from './cpu-time.js';
import { peakRssMiB, resetPeakRss } from './memory.js';
import { runOpenLoop } from './open-loop.js';
import { ChildSet, hasCommand } from './processes.js';
import { checkTargets, fixedRateTable, formatCpuComparison, formatTargets, median, throughputTable } from './report.js';
import { CLIENT_CORE, startTarget, startUpstreams, TARGETS } from './targets.js';
import { runWrk } from './wrk.js';

const BENCH_DIR = new URL('.', import.meta.url).pathname;
const CONNECTIONS = 64;
const BALANCE_TIMEOUT_MS = 180_000;

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    duration: { type: 'string' },
    rate: { type: 'string', default: '5000' },
    json: { type: 'string' },
    'skip-balance': { type: 'boolean', default: false },
    nice: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  process.stdout.write(`Usage: node bench/run.js [--quick] [--rounds N] [--duration S] [--rate R] [--json FILE] [--nice=-10] [--skip-balance]

Throughput (wrk, interleaved rounds) and latency at a fixed rate (open loop) of evenkeel against
direct, the minimal node:http + undici proxy, node-http-proxy, @fastify/http-proxy and nginx, with
the issue's targets as PASS/FAIL, then bench/balance.ts. Needs wrk; nginx is used when installed.
See bench/README.md.
`);
  process.exit(0);
}
const settings = {
  rounds: Number(flags.rounds ?? (flags.quick ? 1 : 3)),
  durationS: Number(flags.duration ?? (flags.quick ? 3 : 10)),
  warmupS: flags.quick ? 1 : 3,
  rate: Number(flags.rate),
  fixedRounds: flags.quick ? 1 : 2,
  fixedDurationS: flags.quick ? 3 : 6,
  // A freshly started Node proxy compiles its hot paths during its first seconds; at 5,000 req/s a
  // 1 s warm-up left that backlog inside the measured window (p99 in the hundreds of ms). The
  // warm-up runs at the same rate, so the peak RSS is still the one under that load.
  fixedWarmupS: 3,
};

function versionOf(command, args) {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split('\n')[0];
  } catch (error) {
    return (error.stderr?.toString() ?? '').trim().split('\n')[0] || 'not installed';
  }
}

function describeMachine() {
  const nginx = hasCommand('nginx') ? versionOf('sh', ['-c', 'nginx -v 2>&1']) : 'not installed';
  return [
    `cores: ${versionOf('nproc', [])}, node ${process.version}, ${nginx}, ${hasCommand('wrk') ? versionOf('sh', ['-c', 'wrk -v 2>&1 | head -1']) : 'wrk not installed'}`,
    `load average at start: ${loadavg().map((load) => load.toFixed(2)).join(' ')}`,
  ].join('\n');
}

const log = (line) => process.stdout.write(`${line}\n`);

async function startAll(children, upstreams, workDir, names) {
  const started = [];
  for (const target of TARGETS.filter((t) => names.includes(t.name))) {
    const result = await startTarget(target, children, upstreams, workDir);
    if (result.skipped) {
      log(`  ${target.name}: skipped (${result.skipped})`);
      if (result.output) log(result.output.split('\n').slice(-15).map((line) => `    | ${line}`).join('\n'));
    } else {
      started.push(result);
    }
  }
  return started;
}

async function closedLoopPass(children, targets) {
  const results = Object.fromEntries(targets.map((target) => [target.name, { runs: [] }]));
  log(`\nwarm-up: ${settings.warmupS}s per target`);
  for (const target of targets) await runWrk(children, target.url, { durationS: settings.warmupS, connections: CONNECTIONS, core: CLIENT_CORE });
  for (let round = 0; round < settings.rounds; round++) {
    const order = targets.map((_, i) => targets[(i + round) % targets.length]);
    for (const target of order) {
      const cpuBefore = target.child ? cpuMicros(target.child.pid) : NaN;
      const run = await runWrk(children, target.url, { durationS: settings.durationS, connections: CONNECTIONS, core: CLIENT_CORE });
      run.cpuUsPerRequest = target.child ? (cpuMicros(target.child.pid) - cpuBefore) / run.requests : NaN;
      results[target.name].runs.push(run);
      log(`  round ${round + 1}/${settings.rounds} ${target.name.padEnd(20)} ${Math.round(run.requestsPerSecond).toString().padStart(7)} req/s  p50 ${run.p50Ms.toFixed(2)} ms  p99 ${run.p99Ms.toFixed(2)} ms${run.errors ? `  errors ${run.errors}` : ''}`);
    }
  }
  for (const target of targets) if (target.child) results[target.name].peakRssMiB = peakRssMiB(target.child.pid);
  return results;
}

async function fixedRatePass(children, targets) {
  const runs = Object.fromEntries(targets.map((target) => [target.name, []]));
  // The memory target is the peak under this load: start the high-water mark here, after start-up.
  for (const target of targets) if (target.child && !resetPeakRss(target.child.pid)) log(`  ${target.name}: could not reset VmHWM; its peak RSS includes start-up`);
  for (let round = 0; round < settings.fixedRounds; round++) {
    const order = targets.map((_, i) => targets[(i + round) % targets.length]);
    for (const target of order) {
      const cpuBefore = target.child ? cpuMicros(target.child.pid) : NaN;
      const startedMs = performance.now();
      const run = await runOpenLoop(children, target.url, { rate: settings.rate, durationS: settings.fixedDurationS, warmupS: settings.fixedWarmupS, connections: CONNECTIONS, core: CLIENT_CORE });
      // Over the generator's whole life (warm-up included): how close to saturation the proxy ran.
      run.cpuPercent = target.child ? ((cpuMicros(target.child.pid) - cpuBefore) / ((performance.now() - startedMs) * 1000)) * 100 : NaN;
      runs[target.name].push(run);
      log(`  round ${round + 1}/${settings.fixedRounds} ${target.name.padEnd(20)} p50 ${run.p50Ms.toFixed(2)} ms  p99 ${run.p99Ms.toFixed(2)} ms  achieved ${Math.round(run.achievedRate)} req/s${run.errors ? `  errors ${run.errors}` : ''}`);
    }
  }
  const results = {};
  for (const target of targets) {
    const list = runs[target.name];
    const middle = (key) => median(list.map((run) => run[key]));
    results[target.name] = {
      rate: settings.rate,
      rounds: list.length,
      achievedRate: middle('achievedRate'),
      p50Ms: middle('p50Ms'),
      p99Ms: middle('p99Ms'),
      p999Ms: middle('p999Ms'),
      serviceP99Ms: middle('serviceP99Ms'),
      sendLagP99Ms: middle('sendLagP99Ms'),
      cpuPercent: middle('cpuPercent'),
      errors: list.reduce((sum, run) => sum + run.errors, 0),
      peakRssMiB: target.child ? peakRssMiB(target.child.pid) : undefined,
    };
  }
  return results;
}

function runBalanceBenchmark() {
  const file = join(BENCH_DIR, 'balance.ts');
  if (!existsSync(file)) {
    log('\nbalance benchmark: bench/balance.ts is not there yet; skipped');
    return Promise.resolve();
  }
  log('\n== balance benchmark (bench/balance.ts) ==');
  return new Promise((resolve) => {
    const child = spawn('npx', ['tsx', file], { stdio: 'inherit', cwd: join(BENCH_DIR, '..') });
    const timer = setTimeout(() => { log(`balance benchmark: stopped after ${BALANCE_TIMEOUT_MS / 1000}s`); child.kill('SIGTERM'); }, BALANCE_TIMEOUT_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code) log(`balance benchmark exited with code ${code}`);
      resolve();
    });
  });
}

async function main() {
  const startedAt = Date.now();
  log('== evenkeel HTTP benchmark ==');
  log(describeMachine());
  if (!hasCommand('wrk')) {
    log('wrk is not installed (apt-get install -y wrk); the benchmark needs it.');
    process.exitCode = 1;
    return;
  }
  if (!hasCommand('taskset')) log('taskset is not installed: processes are NOT pinned, figures mix client and proxy CPU.');
  log(`settings: ${settings.rounds} round(s) x ${settings.durationS}s, wrk -t1 -c${CONNECTIONS}, fixed rate ${settings.rate} req/s ${settings.fixedRounds} round(s) x ${settings.fixedDurationS}s; client + upstreams on core 0, proxy on core 1`);

  const workDir = mkdtempSync(join(tmpdir(), 'evenkeel-bench-'));
  const children = new ChildSet({ niceness: flags.nice === undefined ? undefined : Number(flags.nice) });
  if (flags.nice !== undefined) log(`every benchmark process runs under nice -n ${flags.nice}`);
  try {
    const upstreams = await startUpstreams(children, workDir);
    log(`upstreams: ${upstreams.kind} on ports ${upstreams.ports.join(', ')}${upstreams.kind === 'nginx' ? '' : ' (nginx missing: node:http fallback, so "direct" is a lower ceiling)'}`);

    log('\n== pass 1: throughput, closed loop (wrk) ==');
    const names = TARGETS.map((target) => target.name);
    const targets = await startAll(children, upstreams, workDir, names);
    const closed = await closedLoopPass(children, targets);
    for (const target of targets) if (target.child) await children.stop(target.child);

    log(`\n== pass 2: latency at a fixed ${settings.rate} req/s (open loop, freshly started proxies) ==`);
    const fresh = await startAll(children, upstreams, workDir, names);
    const open = await fixedRatePass(children, fresh);

    const throughput = throughputTable(closed);
    log(`\n== throughput: wrk -t1 -c${CONNECTIONS} -d${settings.durationS}s, median of ${settings.rounds} interleaved round(s) ==`);
    log(throughput.text);
    log('range: slowest-fastest round. peak RSS: VmHWM of the proxy process tree over the whole pass. CPU µs/req: user + system CPU time of the proxy process tree per request (independent of which core was the bottleneck).');
    log(`\n== latency at ${settings.rate} req/s for ${settings.fixedDurationS}s, median of ${settings.fixedRounds} interleaved round(s), from the scheduled send time ==`);
    log(fixedRateTable(open));
    log('service p99: from the actual send (no coordinated-omission correction). send lag p99: how late the generator itself sent. proxy CPU: share of its core the proxy used (near 100%, the p99 measures a saturated proxy). peak RSS: VmHWM since the proxies had started (reset before this pass).');
    const checks = checkTargets(throughput.summary, open);
    log('\n== targets (issue: Benchmark) ==');
    log(formatTargets(checks));
    log(formatCpuComparison(throughput.summary));
    log(`load average at end: ${loadavg().map((load) => load.toFixed(2)).join(' ')}; elapsed ${Math.round((Date.now() - startedAt) / 1000)}s`);
    if (flags.json) {
      writeFileSync(flags.json, `${JSON.stringify({ settings, machine: describeMachine(), throughput: throughput.summary, fixedRate: open, checks }, null, 2)}\n`);
      log(`results written to ${flags.json}`);
    }
  } finally {
    await children.stopAll();
    rmSync(workDir, { recursive: true, force: true });
  }
  if (!flags['skip-balance']) await runBalanceBenchmark();
}

await main();
