// Where one proxy spends more CPU per request than another, down to V8's runtime and the kernel: runs
// each target under wrk with Linux `perf record` (call graphs; node with --perf-basic-prof so JIT
// frames have names), then prints CPU µs per request, the V8 runtime functions each target enters
// (a runtime call on the hot path is V8 leaving its fast path), and the symbols whose self time per
// request differs most between the first two targets. bench/profile.js (V8's own sampler) cannot see
// this: it charges V8's runtime and the kernel to the JavaScript frame that called them.
//
//   node bench/perf-diff.js [--targets evenkeel,minimal-proxy] [--duration 3] [--top 40] [--callers Runtime_X,...]
//
// Needs `perf` (Debian: apt-get install -y linux-perf) and wrk; run as root or with
// kernel.perf_event_paranoid <= 1. Figures are per request of the measured wrk run only.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ChildSet, hasCommand } from './processes.js';
import { formatTable } from './report.js';
import { originalPosition } from './source-maps.js';
import { CLIENT_CORE, startTarget, startUpstreams, TARGETS } from './targets.js';
import { runWrk } from './wrk.js';

const SAMPLE_HZ = 2000;
const US_PER_SAMPLE = 1e6 / SAMPLE_HZ;

const { values: flags } = parseArgs({
  options: {
    targets: { type: 'string', default: 'evenkeel,minimal-proxy' },
    duration: { type: 'string', default: '3' },
    top: { type: 'string', default: '40' },
    callers: { type: 'string', default: '' },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  process.stdout.write(`Usage: node bench/perf-diff.js [--targets evenkeel,minimal-proxy] [--duration 3] [--top 40] [--callers Runtime_X,...]

Runs each target under wrk with Linux perf (needs linux-perf and root) and prints CPU µs per request,
split by the kind of innermost frame and by thread, the V8 runtime functions each target enters, their
JavaScript callers (--callers), and the symbols whose self time per request differs most between the
first two targets. See bench/README.md.
`);
  process.exit(0);
}

/**
 * "JS:*onHeaders file:///…/dist/proxy/exchange.js:152:14+0x823 (/tmp/perf-1.map)" -> a stable symbol
 * name, "JS:*onHeaders dist/proxy/exchange.js:152". Frames of the minified bundle (dist/bundle/) are
 * mapped back to their function and src/*.ts line through its source maps:
 * "JS:*xo file:///…/dist/bundle/chunk-X.js:1:4242" -> "JS:*onHeaders src/proxy/exchange.ts:152".
 */
function symbolOf(frameLine) {
  const symbol = frameLine
    .trim()
    .replace(/^[0-9a-f]+ /, '')
    .replace(/\+0x[0-9a-f]+/, '')
    .replace(/ \([^)]*\)$/, '');
  const bundled = /^(JS:\S*?)([\w$]*) (?:file:\/\/)?(\/\S*?\/dist\/bundle\/\S+?\.js):(\d+):(\d+)$/.exec(symbol);
  if (bundled) {
    const [, prefix, name, file, line, column] = bundled;
    const original = originalPosition(pathToFileURL(file).href, Number(line) - 1, Number(column) - 1);
    return `${prefix}${original.name ?? name} ${original.location}`;
  }
  // Without the column, so that the same function matches across builds (one of them bundled).
  return symbol.replace(/(?:file:\/\/)?\/\S*?\/(dist|bench|node_modules)\//, "$1/").replace(/(\.js:\d+):\d+$/, '$1');
}

/** What a sample's innermost frame is: the kernel, JavaScript, V8's builtins, its GC, ... */
function categoryOf(frameLine, symbol) {
  if (frameLine.includes('[kernel.kallsyms]')) return 'kernel';
  if (symbol.startsWith('JS:')) return 'JavaScript (JIT code)';
  if (symbol.startsWith('Builtins_')) return 'V8 builtins';
  if (/^v8::internal::.*(Scaveng|Mark|Sweep|Evacuat|Heap|GC|Concurrent|Compactor|Remembered|Slot)/.test(symbol)) return 'V8 garbage collector';
  if (/^(v8::|Builtin|Runtime_)/.test(symbol)) return 'V8 runtime and compiler';
  if (/^node::|^napi_/.test(symbol)) return 'node C++';
  if (/^uv_|^uv__/.test(symbol)) return 'libuv';
  if (/libc[.-]|libstdc\+\+|ld-linux/.test(frameLine)) return 'libc';
  if (/llhttp|wasm/i.test(symbol)) return 'llhttp';
  return 'other';
}

/**
 * Samples of one `perf script` output: the thread (the event loop, whose tid is the pid, or another),
 * the innermost frame's category, and the list of symbols, innermost first.
 */
function parseSamples(text) {
  return text
    .split('\n\n')
    .map((block) => {
      const lines = block.trim().split('\n');
      const [, pid, tid] = /\s(\d+)(?:\/(\d+))?\s/.exec(lines[0]) ?? [];
      const thread = tid === undefined || tid === pid ? 'main (event loop)' : 'other threads (GC, compiler, libuv pool)';
      const frames = lines.slice(1).map(symbolOf);
      return { thread, category: frames.length > 0 ? categoryOf(lines[1], frames[0]) : '', frames };
    })
    .filter((sample) => sample.frames.length > 0);
}

async function measure(target, children, upstreams, workDir, durationS) {
  const started = await startTarget(target, children, upstreams, workDir, ['--perf-basic-prof']);
  if (started.skipped) throw new Error(`${target.name}: ${started.skipped}\n${started.output ?? ''}`);
  await runWrk(children, started.url, { durationS: 3, connections: 64, core: CLIENT_CORE });
  const dataFile = join(workDir, `perf-${started.child.pid}.data`);
  const perf = spawn('perf', ['record', '-q', '-e', 'cpu-clock', '-F', String(SAMPLE_HZ), '-g', '-p', String(started.child.pid), '-o', dataFile, '--', 'sleep', String(durationS + 0.2)], { stdio: 'ignore' });
  const run = await runWrk(children, started.url, { durationS, connections: 64, core: CLIENT_CORE });
  await new Promise((resolve) => perf.once('exit', resolve));
  const script = spawnSync('perf', ['script', '-F', 'comm,pid,tid,time,event,ip,sym,dso', '-i', dataFile], { maxBuffer: 1 << 30 });
  await children.stop(started.child);
  rmSync(`/tmp/perf-${started.child.pid}.map`, { force: true });
  return { name: target.name, requests: run.requestsPerSecond * durationS, requestsPerSecond: run.requestsPerSecond, samples: parseSamples(script.stdout.toString()) };
}

function perRequest(count, result) {
  return (count * US_PER_SAMPLE) / result.requests;
}

function tally(result) {
  const self = new Map();
  const runtime = new Map();
  const categories = new Map();
  const threads = new Map();
  for (const { frames, category, thread } of result.samples) {
    categories.set(category, (categories.get(category) ?? 0) + 1);
    threads.set(thread, (threads.get(thread) ?? 0) + 1);
    self.set(frames[0], (self.get(frames[0]) ?? 0) + 1);
    const entered = new Set(frames.map((frame) => /v8::internal::(Runtime_\w+)/.exec(frame)?.[1]).filter(Boolean));
    for (const name of entered) runtime.set(name, (runtime.get(name) ?? 0) + 1);
  }
  return { self, runtime, categories, threads };
}

function callersOf(result, symbol) {
  const byChain = new Map();
  for (const { frames } of result.samples) {
    const at = frames.findIndex((frame) => frame.includes(symbol));
    if (at < 0) continue;
    const chain = frames.slice(at + 1).filter((frame) => frame.startsWith('JS:')).slice(0, 3).join(' <- ');
    byChain.set(chain, (byChain.get(chain) ?? 0) + 1);
  }
  return [...byChain].sort((a, b) => b[1] - a[1]).slice(0, 5);
}

if (!hasCommand('perf')) throw new Error('perf is not installed (Debian: apt-get install -y linux-perf)');
const names = flags.targets.split(',');
const chosen = names.map((name) => TARGETS.find((t) => t.name === name && !t.isDirect) ?? (() => { throw new Error(`--targets: unknown target ${name}`); })());
const durationS = Number(flags.duration);
const workDir = mkdtempSync(join(tmpdir(), 'evenkeel-perf-diff-'));
const children = new ChildSet();
try {
  const upstreams = await startUpstreams(children, workDir);
  const results = [];
  for (const target of chosen) results.push(await measure(target, children, upstreams, workDir, durationS));
  const tallies = results.map(tally);

  process.stdout.write(`${formatTable(['target', 'req/s (under perf)', 'CPU µs/request'], results.map((r) => [r.name, Math.round(r.requestsPerSecond).toLocaleString('en-US'), perRequest(r.samples.length, r).toFixed(1)]))}\n`);
  for (const key of ['categories', 'threads']) {
    const names = [...new Set(tallies.flatMap((t) => [...t[key].keys()]))].sort((x, y) => (tallies[0][key].get(y) ?? 0) - (tallies[0][key].get(x) ?? 0));
    const rows = names.map((name) => [name, ...results.map((r, i) => perRequest(tallies[i][key].get(name) ?? 0, r).toFixed(1))]);
    const title = key === 'categories' ? 'CPU µs per request by what the innermost frame is' : 'CPU µs per request by thread';
    process.stdout.write(`\n${title}\n${formatTable([key === 'categories' ? 'innermost frame' : 'thread', ...results.map((r) => r.name)], rows)}\n`);
  }
  results.forEach((result, i) => {
    const rows = [...tallies[i].runtime].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([name, count]) => [name, perRequest(count, result).toFixed(2)]);
    process.stdout.write(`\n${result.name}: V8 runtime functions entered (µs/request, inclusive)\n${formatTable(['runtime function', 'µs/req'], rows)}\n`);
  });
  for (const symbol of flags.callers.split(',').filter(Boolean)) {
    for (const result of results) {
      process.stdout.write(`\n${result.name}: JavaScript callers of ${symbol}\n`);
      for (const [chain, count] of callersOf(result, symbol)) process.stdout.write(`  ${perRequest(count, result).toFixed(2)} µs/req  ${chain}\n`);
    }
  }
  if (results.length >= 2) {
    const [a, b] = results;
    const symbols = new Set([...tallies[0].self.keys(), ...tallies[1].self.keys()]);
    const rows = [...symbols]
      .map((symbol) => [symbol, perRequest(tallies[0].self.get(symbol) ?? 0, a), perRequest(tallies[1].self.get(symbol) ?? 0, b)])
      .sort((x, y) => y[1] - y[2] - (x[1] - x[2]))
      .slice(0, Number(flags.top))
      .map(([symbol, x, y]) => [(x - y).toFixed(2), x.toFixed(2), y.toFixed(2), symbol.slice(0, 120)]);
    process.stdout.write(`\nself time per request, ${a.name} minus ${b.name} (µs)\n${formatTable(['difference', a.name, b.name, 'symbol'], rows)}\n`);
  }
} finally {
  await children.stopAll();
  rmSync(workDir, { recursive: true, force: true });
}
