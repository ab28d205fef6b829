// Where a proxy spends its CPU under wrk load: runs one target with `node --cpu-prof`, loads it with
// wrk like pass 1 of run.js, stops it (the profile is written on exit) and prints the functions with
// the most self time, mapped back to src/*.ts through dist's source maps.
//
//   node bench/profile.js [--target evenkeel] [--duration 10] [--top 30]
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ChildSet } from './processes.js';
import { formatTable } from './report.js';
import { CLIENT_CORE, startTarget, startUpstreams, TARGETS } from './targets.js';
import { runWrk } from './wrk.js';

const REPO_DIR = fileURLToPath(new URL('..', import.meta.url));
const { values: flags } = parseArgs({ options: { target: { type: 'string', default: 'evenkeel' }, duration: { type: 'string', default: '10' }, top: { type: 'string', default: '30' } } });

const sourceMaps = new Map();
/** "src/proxy/exchange.ts:123" for a compiled frame when dist has a source map, else "file.js:line". */
function locate(url, line, column) {
  if (!url) return '(native)';
  if (!url.startsWith('file://')) return `${url}:${line + 1}`;
  const file = fileURLToPath(url);
  if (!sourceMaps.has(file)) {
    const mapFile = `${file}.map`;
    sourceMaps.set(file, existsSync(mapFile) ? new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8'))) : null);
  }
  const map = sourceMaps.get(file);
  const entry = map?.findEntry(line, column);
  if (entry && entry.originalSource) {
    const original = entry.originalSource.startsWith('file://') ? fileURLToPath(entry.originalSource) : join(file, '..', entry.originalSource);
    return `${relative(REPO_DIR, original)}:${entry.originalLine + 1}`;
  }
  return `${relative(REPO_DIR, file)}:${line + 1}`;
}

/** Self time per function (name + location), in ms and as a share of all samples. */
function selfTimes(profile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const total = [...selfUs.values()].reduce((sum, us) => sum + us, 0);
  const byFunction = new Map();
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber, columnNumber } = byId.get(id).callFrame;
    const key = `${functionName || '(anonymous)'}  ${locate(url, lineNumber, columnNumber)}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  }
  return { total, rows: [...byFunction].sort((a, b) => b[1] - a[1]) };
}

const target = TARGETS.find((t) => t.name === flags.target && !t.isDirect);
if (!target) throw new Error(`--target: expected one of ${TARGETS.filter((t) => !t.isDirect).map((t) => t.name).join(', ')}`);
const workDir = mkdtempSync(join(tmpdir(), 'evenkeel-profile-'));
const profileDir = join(workDir, 'profiles');
const children = new ChildSet();
try {
  const upstreams = await startUpstreams(children, workDir);
  const started = await startTarget(target, children, upstreams, workDir, ['--cpu-prof', `--cpu-prof-dir=${profileDir}`]);
  if (started.skipped) throw new Error(`${target.name}: ${started.skipped}\n${started.output ?? ''}`);
  await runWrk(children, started.url, { durationS: 3, connections: 64, core: CLIENT_CORE });
  const run = await runWrk(children, started.url, { durationS: Number(flags.duration), connections: 64, core: CLIENT_CORE });
  process.stdout.write(`${target.name}: ${Math.round(run.requestsPerSecond)} req/s, p99 ${run.p99Ms.toFixed(2)} ms (under the profiler)\n`);
  await children.stop(started.child, 20_000);
  const files = existsSync(profileDir) ? readdirSync(profileDir).filter((file) => file.endsWith('.cpuprofile')) : [];
  if (files.length === 0) throw new Error('no .cpuprofile was written (did the process exit cleanly on SIGTERM?)');
  for (const file of files) {
    const { total, rows } = selfTimes(JSON.parse(readFileSync(join(profileDir, file), 'utf8')));
    process.stdout.write(`\n${file}: ${(total / 1000).toFixed(0)} ms sampled; top self time (includes warm-up)\n`);
    const top = rows.slice(0, Number(flags.top)).map(([key, us]) => [key, (us / 1000).toFixed(0), `${((100 * us) / total).toFixed(1)}%`]);
    process.stdout.write(`${formatTable(['function  location', 'self ms', 'share'], top)}\n`);
  }
} finally {
  await children.stopAll();
  rmSync(workDir, { recursive: true, force: true });
}
