// Sticky sessions under skewed activity: how unevenly do backends fill up?
//
// 10,000 sessions whose activity follows a Zipf law (s = 1.1: the busiest session sends about 1/7 of
// all requests, a long tail sends almost nothing) talk to 5 equal backends. Requests arrive so that a
// fixed number (200) are always in flight; each finishes 1 to 4 steps after it starts. After every
// step we measure the busiest backend's in-flight count over the mean (max/mean): 1.0 is perfectly
// even. Three ways to keep a session on one backend are compared:
//
//   consistent hashing   ring hash of the session id, no bound (NGINX `hash $cookie_sid consistent`)
//   source-IP hashing    ring hash of the client address, no bound; sessions share 2,000 addresses
//                        uniformly at random, as they do behind NATs and proxies
//   evenkeel bounded     persistence by session header, stick table + Maglev with bounded loads (c)
//
// Run: npx tsx bench/balance.ts [--bound 1.25] [--steps 3000]. Exits 1 if bounded persistence ever
// lets max/mean pass c (more exactly ceil(c × mean) / mean, which equals c for these defaults).
import { pathToFileURL } from 'node:url';
import { acquire, BackendState, createPicker, HashPicker, PoolMembers, release, RequestKey, type PickOutcome, type Picker, type PickRequest } from '../src/balance/index.js';
import type { PoolConfig } from '../src/config/index.js';
import { seededRandom } from '../src/control/index.js';

export type Strategy = 'consistent-hash' | 'source-ip-hash' | 'bounded-persistence';

export interface SimulationOptions {
  sessions: number;
  backends: number;
  /** Requests in flight at every measurement. */
  concurrency: number;
  steps: number;
  zipfExponent: number;
  /** c, for bounded persistence. */
  boundFactor: number;
  /** Distinct client addresses the sessions share, for source-IP hashing. */
  addresses: number;
  seed: number;
}

export const DEFAULT_OPTIONS: SimulationOptions = {
  sessions: 10_000,
  backends: 5,
  concurrency: 200,
  steps: 3_000,
  zipfExponent: 1.1,
  boundFactor: 1.25,
  addresses: 2_000,
  seed: 1,
};

export interface SimulationResult {
  strategy: Strategy;
  requests: number;
  /** Highest max/mean in-flight load seen after any step. */
  peakMaxOverMean: number;
  /** max/mean in-flight load averaged over steps. */
  averageMaxOverMean: number;
  /** The limit bounded loads guarantee: ceil(c × mean) / mean. */
  allowedMaxOverMean: number;
  pinnedShare: number;
  spilledShare: number;
}

/** Cumulative Zipf weights 1/k^s for k = 1..n, for inverse-transform sampling. */
function zipfCumulative(n: number, exponent: number): Float64Array {
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let k = 1; k <= n; k++) {
    total += 1 / k ** exponent;
    cumulative[k - 1] = total;
  }
  return cumulative;
}

function sampleIndex(cumulative: Float64Array, random: () => number): number {
  const target = random() * cumulative[cumulative.length - 1];
  let low = 0;
  let high = cumulative.length - 1;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (cumulative[middle] > target) high = middle;
    else low = middle + 1;
  }
  return low;
}

function makePicker(strategy: Strategy, members: PoolMembers, options: SimulationOptions, clock: { nowMs: number }): Picker {
  const random = seededRandom(options.seed + 7);
  if (strategy === 'consistent-hash') {
    return new HashPicker(members, { table: 'ring', key: new RequestKey('header', 'x-session'), boundFactor: Infinity, random });
  }
  if (strategy === 'source-ip-hash') {
    return new HashPicker(members, { table: 'ring', key: new RequestKey('source_ip', ''), boundFactor: Infinity, random });
  }
  const pool = {
    algorithm: 'round-robin',
    persistence: { by: 'header', name: 'x-session', ttl: 30 * 60_000, bound: options.boundFactor },
  } as PoolConfig;
  return createPicker(pool, members, { cookieSecret: 'bench-secret-not-used', now: () => clock.nowMs, random });
}

/** Runs one strategy over the simulated traffic. */
export function simulate(strategy: Strategy, options: SimulationOptions = DEFAULT_OPTIONS): SimulationResult {
  const random = seededRandom(options.seed);
  const members = new PoolMembers(
    'bench',
    Array.from({ length: options.backends }, (_, i) => new BackendState('bench', `web-${i + 1}`, `http://10.0.0.${i + 1}:8000`, 100)),
  );
  const clock = { nowMs: 1_700_000_000_000 };
  const picker = makePicker(strategy, members, options, clock);
  const activity = zipfCumulative(options.sessions, options.zipfExponent);
  const sessionIds = Array.from({ length: options.sessions }, (_, i) => `session-${i}`);
  const sessionAddresses = Array.from({ length: options.sessions }, () => {
    const address = Math.floor(random() * options.addresses);
    return `100.64.${address >> 8}.${address & 255}`;
  });
  // Requests finishing at step t, in a ring of buckets (a request lasts at most 4 steps).
  const finishing: BackendState[][] = Array.from({ length: 5 }, () => []);
  const headers: Record<string, string> = {};
  const request: PickRequest = { sourceIp: '', path: '/', headers };
  const outcome: PickOutcome = { isPinned: false, isSpilled: false, setCookie: undefined };
  const mean = options.concurrency / options.backends;
  let requests = 0;
  let pinned = 0;
  let spilled = 0;
  let peak = 0;
  let sum = 0;
  for (let step = 0; step < options.steps; step++) {
    clock.nowMs += 10;
    const done = finishing[step % finishing.length];
    for (const backend of done) release(members, backend);
    done.length = 0;
    while (members.totalInflight < options.concurrency) {
      const session = sampleIndex(activity, random);
      headers['x-session'] = sessionIds[session];
      request.sourceIp = sessionAddresses[session];
      outcome.isPinned = false;
      outcome.isSpilled = false;
      const backend = picker.pick(request, outcome, undefined);
      if (backend === undefined) throw new Error(`${strategy}: no backend for a request, which cannot happen with ${options.backends} healthy backends`);
      acquire(members, backend);
      const lifetimeSteps = 1 + Math.floor(random() * 4);
      finishing[(step + lifetimeSteps) % finishing.length].push(backend);
      requests++;
      if (outcome.isPinned) pinned++;
      if (outcome.isSpilled) spilled++;
    }
    let max = 0;
    for (const backend of members.backends) if (backend.inflight > max) max = backend.inflight;
    const ratio = max / mean;
    if (ratio > peak) peak = ratio;
    sum += ratio;
  }
  return {
    strategy,
    requests,
    peakMaxOverMean: peak,
    averageMaxOverMean: sum / options.steps,
    allowedMaxOverMean: Math.ceil(options.boundFactor * mean - 1e-9) / mean,
    pinnedShare: pinned / requests,
    spilledShare: spilled / requests,
  };
}

const LABELS: Record<Strategy, string> = {
  'consistent-hash': 'consistent hashing (no bound)',
  'source-ip-hash': 'source-IP hashing (no bound)',
  'bounded-persistence': 'evenkeel bounded persistence',
};

function formatTable(results: SimulationResult[], options: SimulationOptions): string {
  const header = ['strategy', 'requests', 'peak max/mean', 'avg max/mean', 'pinned', 'spilled'];
  const rows = results.map((r) => [
    LABELS[r.strategy],
    String(r.requests),
    r.peakMaxOverMean.toFixed(3),
    r.averageMaxOverMean.toFixed(3),
    r.strategy === 'bounded-persistence' ? `${(r.pinnedShare * 100).toFixed(1)}%` : '-',
    r.strategy === 'bounded-persistence' ? `${(r.spilledShare * 100).toFixed(1)}%` : '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  return [
    `${options.sessions} sessions, Zipf s=${options.zipfExponent}, ${options.backends} equal backends, ${options.concurrency} in flight, ${options.steps} steps, c=${options.boundFactor}`,
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
  ].join('\n');
}

function parseArguments(argv: readonly string[]): SimulationOptions {
  const options = { ...DEFAULT_OPTIONS };
  for (let i = 0; i < argv.length; i += 2) {
    const value = Number(argv[i + 1]);
    if (argv[i] === '--bound' && value > 1) options.boundFactor = value;
    else if (argv[i] === '--steps' && Number.isInteger(value) && value > 0) options.steps = value;
    else throw new Error(`unknown or invalid argument ${argv[i]} ${argv[i + 1] ?? ''}; use --bound <c > 1> or --steps <n>`);
  }
  return options;
}

/** Runs the three strategies, prints the table, and returns the exit code (1 if the bound was broken). */
export function main(argv: readonly string[] = process.argv.slice(2)): number {
  const options = parseArguments(argv);
  const results = (['consistent-hash', 'source-ip-hash', 'bounded-persistence'] as const).map((strategy) => simulate(strategy, options));
  console.log(formatTable(results, options));
  const bounded = results[2];
  if (bounded.peakMaxOverMean > bounded.allowedMaxOverMean + 1e-9) {
    console.error(`FAIL: bounded persistence reached max/mean ${bounded.peakMaxOverMean.toFixed(3)}, above its bound ${bounded.allowedMaxOverMean.toFixed(3)}`);
    return 1;
  }
  console.log(`ok: bounded persistence stayed at or under max/mean ${bounded.allowedMaxOverMean.toFixed(3)} (c = ${options.boundFactor})`);
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main();
}
