// `npm run bench:detect`: how fast a real evenkeel node sees a skew, and whether it keeps quiet when
// there is none (issue 4's Proof). Five capacity backends and a session-aware traffic generator
// (cookies, Zipf session activity, open loop) on 127.0.0.1, one fresh node per case:
//   a  the postmortem: change A (automation 'weights.sh', approved) raises web-1 and web-2 100 -> 400
//      and removes the persistence bound; sessions pin by A's weights. Change B (its next run,
//      approved) restores 100 with the bound still off: pinned sessions keep web-1/web-2 at ~75%
//      against an expected 40%. Onset = B applied: from then on the skew is against live weights.
//   b  the same with smaller steps, so 2 of 5 carry ~60% and ~70%.
//   c  a 3x traffic spike with an even spread: a traffic_spike alert, no skew alert.
//   d  healthy sticky traffic (bounded persistence): false alarms over 3 minutes (30 with --long).
//
//   node bench/detect.js [--case a,b,c,d] [--rate 250] [--long] [--healthy-seconds N] [--a-under-load] [--json]
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { CapacityBackend, SessionTraffic } from '../dist/drill/index.js';
import { DetectionNode } from './detection-node.js';
import { ChildSet } from './processes.js';

const { values: flags } = parseArgs({
  options: {
    case: { type: 'string', default: 'a,b,c,d' },
    rate: { type: 'string', default: '250' },
    long: { type: 'boolean', default: false },
    'healthy-seconds': { type: 'string' },
    'a-under-load': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const settings = {
  cases: flags.case.split(',').map((name) => name.trim()).filter(Boolean),
  rate: Number(flags.rate),
  healthyS: Number(flags['healthy-seconds'] ?? (flags.long ? 1800 : 180)),
  aUnderLoad: flags['a-under-load'],
};
const BACKENDS = ['web-1', 'web-2', 'web-3', 'web-4', 'web-5'];
const OVERLOADED = ['web-1', 'web-2'];
/** Rules whose firing in healthy traffic is a false alarm (what would page someone or roll back). */
const ALARM_RULES = new Set(['skew', 'inflight_skew', 'latency', 'relative_latency', 'errors']);
const POLL_MS = 250;
const WARMUP_S = 15;
const CHANGE_A_HOLD_S = 65;
const DETECT_TIMEOUT_S = 60;
const TRAFFIC_WARMUP_S = 70; // the traffic rule learns its baseline for 60 s (monitor.traffic.warmup)
const SPIKE_S = 45;

const log = (line) => (flags.json ? process.stderr : process.stdout).write(`${line}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (ms) => (ms === undefined ? undefined : Math.round(ms / 100) / 10);

/** Polls GET /api/v1/alerts and remembers every alert episode seen (fingerprint and start), latest copy. */
class AlertWatch {
  constructor(node) {
    this.node = node;
    this.seen = new Map();
    this.errors = 0;
    this.lastError = undefined;
    this.timer = setInterval(() => this.poll(), POLL_MS);
  }

  async poll() {
    try {
      for (const alert of await this.node.alerts()) this.seen.set(`${alert.fingerprint}@${alert.startedAt}`, alert);
    } catch (error) {
      this.errors++;
      this.lastError = error.message;
    }
  }

  /** Alert episodes that fired, optionally of some rules and at or after a time. */
  fired({ rules, sinceMs = 0 } = {}) {
    return [...this.seen.values()].filter((alert) => typeof alert.firingAt === 'number' && alert.firingAt >= sinceMs && (rules === undefined || rules.includes(alert.rule)));
  }

  /** Resolves with the first alert of `rules` firing at or after sinceMs, or undefined after timeoutMs. */
  async firstFiring(rules, sinceMs, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const found = this.fired({ rules, sinceMs }).sort((x, y) => x.firingAt - y.firingAt)[0];
      if (found) return found;
      await sleep(POLL_MS);
    }
    return undefined;
  }

  stop() {
    clearInterval(this.timer);
  }
}

/** Share of requests that `names` served between two counter snapshots of the backends. */
function shareOf(before, after, names) {
  let total = 0;
  let part = 0;
  for (const [name, count] of Object.entries(after)) {
    const delta = count - (before[name] ?? 0);
    total += delta;
    if (names.includes(name)) part += delta;
  }
  return total === 0 ? undefined : part / total;
}

function countsOf(backends) {
  return Object.fromEntries(backends.map((backend) => [backend.name, backend.counters().served]));
}

/** Resolves with the first applied rollback after change `afterId`, or undefined after timeoutMs. */
async function firstRollback(node, afterId, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const rollback = (await node.changes()).filter((change) => change.id > afterId && change.rollbackOf !== null && change.rollbackOf !== undefined && change.status === 'applied').sort((x, y) => x.id - y.id)[0];
      if (rollback) return rollback;
    } catch (error) {
      log(`  changes poll failed: ${error.message}`);
    }
    await sleep(500);
  }
  return undefined;
}

/** Runs `body` on a fresh node with tokens, traffic (started unless isTrafficDeferred) and an alert watch. */
async function withNode(context, { isTrafficDeferred = false } = {}, body) {
  const node = await DetectionNode.start(context.children, context.backends);
  await node.createToken('weights.sh', 'automation');
  await node.createToken('approver', 'approver');
  const traffic = new SessionTraffic({
    url: node.proxyUrl,
    ratePerSecond: settings.rate,
    durationMs: (settings.healthyS + 600) * 1000, // a bound: every case stops its traffic itself
    sessions: 2000,
    zipfExponent: 0.8,
    maxInflight: 1024,
    sloMs: 500,
    timeoutMs: 5_000,
    seed: 42,
  });
  if (!isTrafficDeferred) traffic.start();
  const watch = new AlertWatch(node);
  try {
    return await body({ node, traffic, watch });
  } finally {
    watch.stop();
    if (traffic.snapshot().offered > 0 || !isTrafficDeferred) context.lastTraffic = await traffic.stop();
    await node.stop();
  }
}

/**
 * Cases a and b: A re-pins the sessions by raised weights with the bound off; B restores weights.
 * A is applied before the traffic starts (the script's first run at a quiet moment). Under load, the
 * skew window right after A still holds requests spread by the old weights, which the skew rule
 * compares with A's new expected shares: it fires on the under-weighted backends and rolls A back
 * before B ever runs (seen on 2026-11-29; `--a-under-load` shows it).
 */
function skewCase(name, raisedWeight, targets) {
  return async (context) =>
    withNode(context, { isTrafficDeferred: !settings.aUnderLoad }, async ({ node, traffic, watch }) => {
      if (settings.aUnderLoad) await sleep(WARMUP_S * 1000);
      const raised = Object.fromEntries(OVERLOADED.map((id) => [id, raisedWeight]));
      const changeA = await node.proposeApproveApply({ author: 'weights.sh', approver: 'approver', reason: 'rebalance (weights.sh)', weights: raised, bound: 10 });
      // The sessions that arrive now are pinned by A's weights; nothing spills them later.
      if (settings.aUnderLoad) traffic.renewSessions(1);
      else traffic.start();
      await sleep(5_000);
      const duringA = countsOf(context.backends);
      // Held long enough for the traffic rule to learn its baseline, so the diagnosis can say whether
      // traffic is normal when B's skew fires.
      await sleep((CHANGE_A_HOLD_S - 5) * 1000);
      const shareA = shareOf(duringA, countsOf(context.backends), OVERLOADED);
      const alarmsDuringA = watch.fired({ rules: [...ALARM_RULES], sinceMs: changeA.updatedAt }).map((alert) => alert.rule);
      const changeB = await node.proposeApproveApply({ author: 'weights.sh', approver: 'approver', reason: 'rebalance (weights.sh, next run)', weights: {}, bound: 10 });
      const onsetMs = changeB.updatedAt;
      const afterB = countsOf(context.backends);
      const detection = watch.firstFiring(['skew'], onsetMs, DETECT_TIMEOUT_S * 1000);
      const rollback = firstRollback(node, changeB.id, DETECT_TIMEOUT_S * 1000);
      await sleep(3_000);
      const shareB = shareOf(afterB, countsOf(context.backends), OVERLOADED);
      const [alert, rolledBack] = await Promise.all([detection, rollback]);
      // A skew alert that fired while A was live and never resolved is not a detection of B's skew.
      const carried = watch.fired({ rules: ['skew'] }).find((episode) => episode.firingAt < onsetMs && (typeof episode.resolvedAt !== 'number' || episode.resolvedAt > onsetMs));
      const rollbacks = (await node.changes()).filter((change) => typeof change.rollbackOf === 'number').map((change) => `change ${change.id} restored version ${change.rollbackOf}: ${change.reason}`);
      const stats = traffic.snapshot();
      const detectMs = alert ? alert.firingAt - onsetMs : undefined;
      const rollbackMs = rolledBack ? rolledBack.updatedAt - onsetMs : undefined;
      const checks = [];
      if (targets.detectS !== undefined) checks.push(detectMs !== undefined && detectMs <= targets.detectS * 1000);
      if (targets.rollbackS !== undefined) checks.push(rollbackMs !== undefined && rollbackMs <= targets.rollbackS * 1000);
      if (targets.minRps !== undefined) checks.push(stats.offeredRps >= targets.minRps);
      return {
        case: name,
        rps: Math.round(stats.offeredRps),
        shareUnderA: shareA,
        observedShare: shareB,
        expectedShare: 0.4,
        detectS: seconds(detectMs),
        rollbackS: seconds(rollbackMs),
        falseAlarms: undefined,
        alarmsDuringA,
        skewFiringSinceA: carried ? carried.summary : undefined,
        rollbacks,
        alert: alert ? { summary: alert.summary, causes: (alert.causes ?? []).map((cause) => cause.summary), actions: (alert.actions ?? []).map((action) => action.summary) } : undefined,
        changes: { a: changeA.id, b: changeB.id, rollback: rolledBack?.id, rollbackOf: rolledBack?.rollbackOf },
        failed: stats.failed,
        target: targets.text,
        result: checks.length === 0 ? 'info' : checks.every(Boolean) ? 'PASS' : 'FAIL',
      };
    });
}

async function spikeCase(context) {
  return withNode(context, {}, async ({ traffic, watch }) => {
    await sleep(TRAFFIC_WARMUP_S * 1000);
    const spikeMs = Date.now();
    const offeredBefore = traffic.snapshot().offered;
    traffic.setRate(settings.rate * 3);
    const before = countsOf(context.backends);
    const spike = await watch.firstFiring(['traffic_spike'], spikeMs, SPIKE_S * 1000);
    const share = shareOf(before, countsOf(context.backends), OVERLOADED);
    // The rate offered during the spike, not the average over the run.
    const rate = Math.round(((traffic.snapshot().offered - offeredBefore) * 1000) / (Date.now() - spikeMs));
    traffic.setRate(settings.rate);
    const skewed = watch.fired({ rules: ['skew', 'inflight_skew'] }).map((alert) => alert.fingerprint);
    return {
      case: 'c spike 3x',
      rps: rate,
      observedShare: share,
      expectedShare: 0.4,
      detectS: spike ? seconds(spike.firingAt - spikeMs) : undefined,
      rollbackS: undefined,
      falseAlarms: skewed.length,
      alarms: skewed,
      alert: spike ? { summary: spike.summary } : undefined,
      target: 'traffic_spike fires, no skew alert',
      result: spike && skewed.length === 0 ? 'PASS' : 'FAIL',
    };
  });
}

async function healthyCase(context) {
  return withNode(context, {}, async ({ traffic, watch }) => {
    const startMs = Date.now();
    const before = countsOf(context.backends);
    const endMs = startMs + settings.healthyS * 1000;
    while (Date.now() < endMs) {
      await sleep(Math.min(10_000, endMs - Date.now()));
      if (settings.healthyS >= 600 && (Date.now() - startMs) % 60_000 < 10_000) log(`  d: ${Math.round((Date.now() - startMs) / 60_000)} min, ${watch.fired({ rules: [...ALARM_RULES] }).length} false alarms so far`);
    }
    await watch.poll();
    const alarms = watch.fired({ rules: [...ALARM_RULES] });
    const others = watch.fired().filter((alert) => !ALARM_RULES.has(alert.rule));
    return {
      case: `d healthy ${Math.round(settings.healthyS / 60)} min`,
      rps: Math.round(traffic.snapshot().offeredRps),
      observedShare: shareOf(before, countsOf(context.backends), OVERLOADED),
      expectedShare: 0.4,
      detectS: undefined,
      rollbackS: undefined,
      falseAlarms: alarms.length,
      alarms: alarms.map((alert) => `${alert.fingerprint}: ${alert.summary}`),
      otherAlerts: others.map((alert) => `${alert.fingerprint}: ${alert.summary}`),
      target: 'zero false alarms',
      result: alarms.length === 0 ? 'PASS' : 'FAIL',
    };
  });
}

const CASES = {
  a: [skewCase('a postmortem 4x', 400, { detectS: 10, rollbackS: 30, minRps: 200, text: 'detect <= 10 s, roll back <= 30 s, >= 200 rps' })],
  b: [skewCase('b skew ~60%', 225, { text: 'reported' }), skewCase('b skew ~70%', 350, { detectS: 30, text: 'detect <= 30 s' })],
  c: [spikeCase],
  d: [healthyCase],
};

const percent = (share) => (share === undefined ? '-' : `${Math.round(share * 100)}%`);
const value = (number, unit = '') => (number === undefined ? '-' : `${number}${unit}`);

function table(results) {
  const header = ['case', 'rps', 'web-1+2', 'expected', 'detect', 'rollback', 'false alarms', 'target', 'result'];
  const rows = results.map((r) => [r.case, String(r.rps), percent(r.observedShare), percent(r.expectedShare), value(r.detectS, ' s'), value(r.rollbackS, ' s'), value(r.falseAlarms), r.target, r.result]);
  const widths = header.map((_, i) => Math.max(header[i].length, ...rows.map((row) => row[i].length)));
  const line = (cells) => cells.map((cell, i) => cell.padEnd(widths[i])).join('  ');
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

async function main() {
  const unknown = settings.cases.filter((name) => !(name in CASES));
  if (unknown.length > 0) throw new Error(`unknown case ${unknown.join(', ')}; cases are a, b, c, d`);
  log(`bench:detect ${new Date().toISOString()}, node ${process.version}, load average ${loadavg().map((load) => load.toFixed(2)).join(' ')}, rate ${settings.rate} rps`);
  const children = new ChildSet();
  const backends = [];
  const results = [];
  try {
    for (const [index, name] of BACKENDS.entries()) {
      backends.push(await CapacityBackend.start({ name, maxConcurrency: 4, serviceTime: { medianMs: 10, p99Ms: 50 }, seed: index + 1 }));
    }
    const context = { children, backends };
    for (const name of settings.cases) {
      for (const run of CASES[name]) {
        const result = await run(context);
        result.traffic = context.lastTraffic && { sent: context.lastTraffic.sent, ok: context.lastTraffic.ok, failedBy: context.lastTraffic.failedBy, p99Ms: Math.round(context.lastTraffic.latency.p99Ms) };
        results.push(result);
        log(`  ${result.case}: ${result.result}${result.detectS !== undefined ? `, detected in ${result.detectS} s` : ''}${result.rollbackS !== undefined ? `, rolled back in ${result.rollbackS} s` : ''}${result.alert ? `\n    alert: ${result.alert.summary}` : ''}${result.alarmsDuringA?.length ? `\n    alerts fired while A was live: ${result.alarmsDuringA.join(', ')}` : ''}${result.skewFiringSinceA ? `\n    a skew alert was already firing at onset: ${result.skewFiringSinceA}` : ''}${result.rollbacks?.length ? `\n    rollbacks: ${result.rollbacks.join('; ')}` : ''}${result.alarms?.length ? `\n    alarms: ${result.alarms.join('; ')}` : ''}`);
      }
    }
  } finally {
    await Promise.all(backends.map((backend) => backend.stop()));
    await children.stopAll();
  }
  log(`\n${table(results)}\n\nOnset of a and b is change B applied: from then on the pinned sessions are skewed against the live weights.`);
  log(`load average at end: ${loadavg().map((load) => load.toFixed(2)).join(' ')}`);
  if (flags.json) process.stdout.write(`${JSON.stringify({ date: new Date().toISOString(), rate: settings.rate, results }, null, 2)}\n`);
}

main().catch((error) => {
  process.stderr.write(`bench:detect failed: ${error.stack ?? error}\n`);
  process.exitCode = 1;
});
