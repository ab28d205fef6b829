// Where a proxy spends its CPU under wrk load: runs one target with `node --cpu-prof`, loads it with
// wrk like pass 1 of run.js, stops it (the profile is written on exit) and prints the functions with
// the most self time, mapped back to src/*.ts through the build's source maps (bench/source-maps.js).
//
//   node bench/profile.js [--target evenkeel] [--duration 10] [--top 30]
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ChildSet } from './processes.js';
import { originalPosition } from './source-maps.js';
import { formatTable } from './report.js';
import { CLIENT_CORE, startTarget, startUpstreams, TARGETS } from './targets.js';
import { runWrk } from './wrk.js';

const { values: flags } = parseArgs({ options: { target: { type: 'string', default: 'evenkeel' }, duration: { type: 'string', default: '10' }, top: { type: 'string', default: '30' } } });

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
    // Minified by scripts/bundle.js: the source map gives the function's own name where it can.
    const { location, name } = originalPosition(url, lineNumber, columnNumber);
    const key = `${name ?? (functionName || '(anonymous)')}  ${location}`;
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
