// Where a proxy's resident memory goes, over time: from the moment it is spawned, through start-up
// (its first health checks and upstream connections), then under a fixed rate. A per-pass VmHWM says
// how high RSS went, not when or why; peaks that last 50 ms (a compile, a hash) need sampling. A
// sampler child pinned to the client core reads VmRSS from /proc every millisecond or two; at the end
// the target's mappings are summed by kind from /proc/PID/smaps (V8 heap pages, the node binary,
// malloc's main arena, the rest).
//
//   node bench/rss-timeline.js [--variant default= --variant liftoff=--liftoff-only] [--target minimal-proxy]
//                              [--rate 5000] [--duration 20] [--nice=-10]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { runOpenLoop } from './open-loop.js';
import { ChildSet, hasCommand } from './processes.js';
import { formatTable } from './report.js';
import { CLIENT_CORE, startTarget, startUpstreams, TARGETS } from './targets.js';
import { evenkeelVariants } from './variants.js';

const CONNECTIONS = 64;
const SAMPLE_INTERVAL_MS = 1;
/** Traffic starts this long after the target first answers: its first health checks run in between. */
const IDLE_WINDOW_MS = 1000;
const MiB = 1024;

function rssKb(pid) {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) : 0;
}

/**
 * Sampler mode: prints [[Date.now(), RSS kB], ...] as JSON when the process is gone or on SIGTERM.
 * Wall-clock times, so that the harness can place them against its own (this process starts later).
 */
function sample(pid) {
  const samples = [];
  let timer;
  const finish = () => {
    clearInterval(timer);
    process.stdout.write(`${JSON.stringify(samples)}\n`, () => process.exit(0));
  };
  timer = setInterval(() => {
    try {
      samples.push([Date.now(), rssKb(pid)]);
    } catch {
      finish(); // the process is gone
    }
  }, SAMPLE_INTERVAL_MS);
  process.once('SIGTERM', finish);
}

/** Resident MiB of the process's mappings, by kind. */
function mappingsByKind(pid) {
  const kinds = new Map();
  let kind = '';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const mapping = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (mapping) {
      const bytes = parseInt(mapping[2], 16) - parseInt(mapping[1], 16);
      const name = mapping[3];
      if (name === '[heap]') kind = "malloc's main arena ([heap])";
      else if (name.endsWith('/node') || name === process.execPath) kind = 'node binary';
      else if (name.startsWith('/')) kind = 'other files (libraries, addons)';
      else if (name === '' && bytes === 256 * 1024) kind = 'V8 heap pages (256 KiB mappings)';
      else kind = 'other anonymous (semi-spaces, malloc arenas, stacks)';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) kinds.set(kind, (kinds.get(kind) ?? 0) + Number(rss[1]) / MiB);
  }
  return [...kinds].sort((a, b) => b[1] - a[1]);
}

function maxOf(samples) {
  return samples.reduce((best, s) => (s[1] > best[1] ? s : best), [0, 0]);
}

async function measure(cell, children, upstreams, workDir, settings) {
  let sampler;
  let spawnedAtMs = Date.now();
  // Start sampling the moment the target is spawned, before it answers: start-up is part of the story.
  children.onSpawn = (child) => {
    children.onSpawn = undefined;
    spawnedAtMs = Date.now();
    sampler = children.spawn(CLIENT_CORE, process.execPath, [new URL(import.meta.url).pathname, '--sample', String(child.pid)]);
  };
  const started = await startTarget(cell.target, children, upstreams, workDir, cell.nodeFlags);
  children.onSpawn = undefined;
  if (started.skipped) throw new Error(`${cell.name}: ${started.skipped}`);
  const pid = started.child.pid;
  const answeredMs = Date.now() - spawnedAtMs;
  await new Promise((resolve) => setTimeout(resolve, IDLE_WINDOW_MS));
  const loadMs = Date.now() - spawnedAtMs;
  await runOpenLoop(children, started.url, { rate: settings.rate, durationS: settings.durationS, warmupS: 0, connections: CONNECTIONS, core: CLIENT_CORE });
  const mappings = mappingsByKind(pid);
  const hwmMiB = Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / MiB;
  const output = new Promise((resolve) => {
    let text = '';
    sampler.stdout.on('data', (chunk) => { text += chunk; });
    sampler.once('exit', () => resolve(text));
  });
  sampler.kill('SIGTERM');
  // Times since the target was spawned.
  const samples = JSON.parse((await output).trim() || '[]').map(([atMs, kb]) => [atMs - spawnedAtMs, kb]);
  await children.stop(started.child);
  const startUp = samples.filter((s) => s[0] < answeredMs);
  const idle = samples.filter((s) => s[0] >= answeredMs && s[0] < loadMs);
  const underLoad = samples.filter((s) => s[0] >= loadMs);
  const startPeak = maxOf(startUp);
  const idlePeak = maxOf(idle);
  const loadPeak = maxOf(underLoad);
  const atSecond = [];
  for (let second = 1; second <= settings.durationS; second += Math.max(1, Math.floor(settings.durationS / 10))) {
    const at = underLoad.find((s) => s[0] >= loadMs + second * 1000);
    if (at) atSecond.push(`${second}s ${(at[1] / MiB).toFixed(0)}`);
  }
  return {
    row: [
      cell.name,
      cell.nodeFlags.join(' ') || '—',
      String(Math.round(answeredMs)),
      `${(startPeak[1] / MiB).toFixed(0)} @ ${startPeak[0]} ms`,
      `${(idlePeak[1] / MiB).toFixed(0)} @ +${Math.max(0, Math.round(idlePeak[0] - answeredMs))} ms`,
      idle.length > 0 ? (idle[idle.length - 1][1] / MiB).toFixed(0) : '—',
      `${(loadPeak[1] / MiB).toFixed(0)} @ +${Math.max(0, Math.round(loadPeak[0] - loadMs))} ms`,
      hwmMiB.toFixed(0),
    ],
    timeline: atSecond.join(', '),
    mappings,
    samples: samples.length,
  };
}

async function main() {
  const { values: flags } = parseArgs({
    options: {
      variant: { type: 'string', multiple: true, default: [] },
      target: { type: 'string', multiple: true, default: [] },
      rate: { type: 'string', default: '5000' },
      duration: { type: 'string', default: '20' },
      nice: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (flags.help) {
    process.stdout.write(`Usage: node bench/rss-timeline.js [--variant NAME=FLAGS ...] [--target NAME ...] [--rate 5000] [--duration 20] [--nice=-10]

Samples the RSS of each proxy from its spawn, through start-up, to the end of --duration seconds at
--rate req/s, and prints: when it first answered, the peak before that (start-up), the peak in the
second after it (first health checks, no traffic yet), RSS just before traffic, the peak under load,
VmHWM; RSS along the run; resident memory by kind of mapping at the end. --variant as in
latency-ab.js (evenkeel with Node flags, or NAME@DIR= for another checkout's build; default: evenkeel
as built here); --target adds other proxies (minimal-proxy, node-http-proxy, ...).
`);
    return;
  }
  const settings = { rate: Number(flags.rate), durationS: Number(flags.duration) };
  const cells = evenkeelVariants(flags.variant.length > 0 ? flags.variant : ['evenkeel=']);
  for (const name of flags.target) {
    const target = TARGETS.find((t) => t.name === name && !t.isDirect);
    if (target === undefined) throw new Error(`--target: unknown target ${name}`);
    cells.push({ name, target, nodeFlags: [] });
  }
  const log = (line) => process.stdout.write(`${line}\n`);
  const workDir = mkdtempSync(join(tmpdir(), 'evenkeel-rss-timeline-'));
  const children = new ChildSet({ niceness: flags.nice === undefined ? undefined : Number(flags.nice) });
  try {
    if (!hasCommand('taskset')) log('taskset is not installed: processes are NOT pinned.');
    const upstreams = await startUpstreams(children, workDir);
    log(`RSS (MiB) sampled every ~${SAMPLE_INTERVAL_MS} ms from spawn; ${IDLE_WINDOW_MS} ms without traffic after the first answer, then ${settings.rate} req/s for ${settings.durationS} s; upstreams: ${upstreams.kind}\n`);
    const results = [];
    for (const cell of cells) results.push({ cell, ...(await measure(cell, children, upstreams, workDir, settings)) });
    log(formatTable(['target', 'node flags', 'answered ms', 'peak before answering', 'peak after answering', 'RSS before load', 'peak under load', 'VmHWM'], results.map((r) => r.row)));
    for (const { cell, timeline, mappings, samples } of results) {
      log(`\n${cell.name}: RSS MiB under load at ${timeline} (${samples} samples)`);
      for (const [kind, mib] of mappings) if (mib >= 0.5) log(`  ${mib.toFixed(1).padStart(6)} MiB  ${kind}`);
    }
  } finally {
    await children.stopAll();
    rmSync(workDir, { recursive: true, force: true });
  }
}

const sampleAt = process.argv.indexOf('--sample');
if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (sampleAt > 0) sample(Number(process.argv[sampleAt + 1]));
  else await main();
}
