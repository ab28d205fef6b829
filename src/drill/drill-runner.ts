import { AlertWatch } from './alert-watch.js';
import { CapacityBackend } from './capacity-backend.js';
import { DrillNode } from './drill-node.js';
import { DRILL_PHASES, type DrillEvent, type DrillFigures, type DrillPhase, type DrillProgress, type DrillResult, type DrillTimelineEntry } from './drill-result.js';
import { eventTimeline, judgeTargets, round1 } from './drill-targets.js';
import { DrillError } from './errors.js';
import { applyChangeStep, applyManualFix, faultBackends, injectFault, sleep, type DrillWorld } from './fault-injection.js';
import type { Scenario } from './scenario-schema.js';
import { SessionTraffic } from './session-traffic.js';
import type { TrafficSnapshot } from './traffic-stats.js';

// A drill run (docs/drills.md): synthetic backends with a capacity model, a real evenkeel node on a
// fresh store, session-aware traffic; a warmup, the scenario's fault, then the wait for evenkeel to
// see it (detect) and for the rollback or the scenario's manual fix (mitigate), an observation
// period, and the report's material (the node's audit log and incident reports). Everything listens
// on 127.0.0.1 and everything started here is stopped in `finally`, also on abort or error.
//
// Speed: `speed` N divides the scenario's durations (warmup, holds, observe, the manual fix's delay)
// and the monitor's learning settings (traffic warmup, baseline half-life) by N. Detection settings
// (windows, `for`) are not scaled, so detect and mitigate times are real seconds, compared with the
// scenario's unscaled targets.

export interface RunDrillOptions {
  readonly speed?: number;
  readonly onProgress?: (progress: DrillProgress) => void;
  readonly signal?: AbortSignal;
  /** The scenario's file, for the report. */
  readonly file?: string;
}

const PROGRESS_MS = 500;
/** After detection, how long the drill waits for the node's automatic rollback. */
const ROLLBACK_WAIT_MS = 30_000;
/** How long the drill keeps its traffic on after the observation while the node still has an open incident (latency alerts judge a 30 s window, so they resolve ~35 s after the fix). */
const INCIDENT_RESOLVE_WAIT_MS = 45_000;
/** Time planned for starting the backends and the node, for the progress fraction. */
const STARTING_PLAN_MS = 3_000;

/** Runs one drill; never throws for a drill that cannot run: the result's verdict is then 'error'. */
export async function runDrill(scenario: Scenario, options: RunDrillOptions = {}): Promise<DrillResult> {
  const speed = options.speed ?? 1;
  const startedAt = Date.now();
  const timeline: DrillTimelineEntry[] = [];
  const progress = new ProgressClock(scenario, speed, startedAt, options.onProgress);
  const backends = new Map<string, CapacityBackend>();
  let node: DrillNode | undefined;
  let traffic: SessionTraffic | undefined;
  let watch: AlertWatch | undefined;
  let sampler: ServedSampler | undefined;
  let faultAt: number | undefined;
  const note = (kind: string, text: string, at = Date.now()) => timeline.push({ at, offsetS: 0, source: 'drill', kind, text });
  const empty = emptyFigures();
  try {
    if (!(speed > 0 && speed <= 100)) throw new DrillError('EK_DRILL_INVALID_OPTION', `expected a speed from 0 (exclusive) to 100, got ${speed}`);
    progress.enter('starting', `starting ${scenario.backends.ids.length} backends and an evenkeel node`);
    for (const [index, id] of scenario.backends.ids.entries()) {
      const model = { ...scenario.backends.capacity, ...scenario.backends.overrides[id] };
      backends.set(id, await CapacityBackend.start({ name: id, maxConcurrency: model.max_concurrency, serviceTime: { medianMs: model.service_time.median, p99Ms: model.service_time.p99 }, errorRate: model.error_rate, seed: index + 1 }));
    }
    node = await DrillNode.start({ scenario, speed, backendUrls: Object.fromEntries([...backends].map(([id, backend]) => [id, backend.url])) }, options.signal);
    await node.createTokens();
    note('drill.start', `node started on ${node.proxyUrl} with ${scenario.backends.ids.length} backends (speed ${speed}x)`);
    traffic = new SessionTraffic({
      url: node.proxyUrl,
      ratePerSecond: scenario.traffic.rate,
      durationMs: progress.plannedMs * 2 + 120_000, // a bound: the drill stops its traffic itself
      sessions: scenario.traffic.sessions,
      zipfExponent: scenario.traffic.zipf,
      maxInflight: 2048,
      sloMs: scenario.traffic.slo,
      timeoutMs: scenario.traffic.timeout,
      seed: scenario.traffic.seed,
      backendHeader: 'x-backend',
    });
    const world: DrillWorld = { scenario, node, backends, traffic, speed, signal: options.signal, note };
    for (const step of scenario.phases.prelude) {
      progress.enter('starting', `prelude: ${step.reason}`);
      await applyChangeStep(world, step);
    }
    watch = new AlertWatch(node);
    sampler = new ServedSampler(backends);

    progress.enter('warmup', `steady traffic at ${scenario.traffic.rate} req/s`);
    void traffic.start();
    note('drill.traffic', `traffic starts: ${scenario.traffic.rate} req/s from ${scenario.traffic.sessions} sessions (Zipf ${scenario.traffic.zipf})`);
    const trafficStartedAt = Date.now();
    await sleep(scenario.phases.warmup / speed, options.signal);

    progress.enter('fault', `injecting: ${scenario.phases.fault.kind}`);
    const atFault = traffic.snapshot();
    const liveVersionAtFault = await node.liveVersion();
    const injected = await injectFault(world, scenario.phases.fault);
    faultAt = injected.onsetMs;
    progress.markFault(faultAt);

    let detectAt: number | undefined;
    const expect = scenario.expect;
    // An alert about one backend detects the fault only when it names a backend the fault is about.
    const faulty = faultBackends(scenario.phases.fault);
    const detecting = (alerts: AlertWatch, sinceMs: number) =>
      alerts.fired(expect.alert, sinceMs).find((alert) => alert.backend === undefined || alert.backend === null || faulty.length === 0 || faulty.includes(alert.backend));
    if (expect.alert.length > 0) {
      progress.enter('detect', `waiting for ${expect.alert.join(' or ')} to fire`);
      detectAt = await waitFor(() => detecting(watch as AlertWatch, faultAt as number)?.firingAt ?? undefined, scenario.phases.detect_timeout, options.signal);
      note('drill.detect', detectAt === undefined ? `no ${expect.alert.join(' or ')} alert within ${scenario.phases.detect_timeout / 1000} s` : `${expect.alert.join(' or ')} alert seen firing`, detectAt ?? Date.now());
    }

    let mitigateAt: number | undefined;
    const mitigation = scenario.mitigation;
    if (mitigation.kind === 'auto_rollback') {
      progress.enter('mitigate', 'waiting for the automatic rollback');
      const waitMs = detectAt === undefined ? 0 : ROLLBACK_WAIT_MS;
      mitigateAt = await waitFor(async () => (await node?.changes())?.filter((change) => change.rollbackOf !== null && change.status !== 'proposed' && change.updatedAt >= (faultAt as number)).sort((a, b) => a.updatedAt - b.updatedAt)[0]?.updatedAt, waitMs, options.signal);
      if (mitigateAt !== undefined) node.resetState({ weights: Object.fromEntries(scenario.backends.ids.map((id) => [id, scenario.pool.weights[id] ?? 100])), bound: scenario.pool.persistence.bound });
    } else if (mitigation.kind === 'manual' && detectAt !== undefined) {
      progress.enter('mitigate', `the operator's fix in ${mitigation.after / 1000 / speed} s: ${mitigation.action.replace('_', ' ')}`);
      await sleep(detectAt + mitigation.after / speed - Date.now(), options.signal);
      mitigateAt = await applyManualFix(world, mitigation);
    }

    await injected.done; // a flap or a change stream goes on until its last step
    progress.enter('recover', `observing for ${scenario.phases.observe / 1000 / speed} s`);
    await sleep(scenario.phases.observe / speed, options.signal);
    // The incident report tells the whole story only once the incident has resolved: its alerts
    // resolve while traffic still flows (with no traffic a skew cannot be judged, and a drop may fire).
    const resolvedAt = await waitFor(async () => ((await node?.openIncidents()) === 0 ? Date.now() : undefined), INCIDENT_RESOLVE_WAIT_MS, options.signal);
    if (resolvedAt === undefined) note('drill.warning', `an incident was still open ${INCIDENT_RESOLVE_WAIT_MS / 1000} s after the observation; its report says so`);
    const final = await traffic.stop();
    // Where the requests went: before the fault, and from it to the mitigation (or the detection, or the end).
    sampler.take();
    const shareEnd = mitigateAt ?? detectAt ?? Date.now();
    const untilWhat = mitigateAt === undefined ? (detectAt === undefined ? 'the end' : 'the detection') : 'the mitigation';
    note('drill.shares', `routed before the fault: ${describeShares(sampler.at(trafficStartedAt), sampler.at(faultAt))}`, faultAt);
    note('drill.shares', `routed from the fault to ${untilWhat}: ${describeShares(sampler.at(faultAt), sampler.at(shareEnd))}`, shareEnd);
    note('drill.shares', `routed from the start of the traffic to ${untilWhat}: ${describeShares(sampler.at(trafficStartedAt), sampler.at(shareEnd))}`, shareEnd);
    note('drill.end', `traffic stopped: ${final.sent} requests sent, p99 ${Math.round(final.latency.p99Ms)} ms`);

    progress.enter('report', 'collecting the event log and incident reports');
    await watch.poll();
    const events = await node.events();
    const incidentReports = await node.incidentReports();
    const liveVersionAtEnd = await node.liveVersion();
    const detected = detecting(watch, faultAt);
    const topCause = detected?.causes?.[0]?.kind;
    const figures = measure(atFault, final, {
      detectS: detectAt === undefined ? undefined : round1((detectAt - faultAt) / 1000),
      mitigateS: mitigateAt === undefined ? undefined : round1((mitigateAt - faultAt) / 1000),
      diagnosisCorrect: expect.cause === undefined ? undefined : topCause === expect.cause,
      diagnosis: detected?.summary,
    });
    const silentFired = [...watch.fired(expect.silent, faultAt), ...watch.firingAt(expect.silent, faultAt)].map((alert) => alert.rule);
    const targets = judgeTargets(scenario, figures, { silentFired, liveVersionAtFault, liveVersionAtEnd, topCause });
    if (watch.failures > 0) note('drill.warning', `${watch.failures} alert polls failed; last: ${watch.lastFailure ?? ''}`);
    return {
      ...base(scenario, options, speed, startedAt, faultAt),
      verdict: targets.every((target) => target.passed) ? 'pass' : 'fail',
      figures,
      targets,
      timeline: mergeTimeline(timeline, eventTimeline(events, faultAt), faultAt),
      events: eventsOf(events, startedAt),
      incidentReports,
    };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    note('drill.error', message);
    return { ...base(scenario, options, speed, startedAt, faultAt), verdict: 'error', error: message, figures: empty, targets: [], timeline: mergeTimeline(timeline, [], faultAt), events: [], incidentReports: {} };
  } finally {
    progress.stop();
    watch?.stop();
    sampler?.stop();
    await settle(() => traffic?.stop());
    await settle(() => node?.stop());
    await Promise.all([...backends.values()].map((backend) => settle(() => backend.stop())));
  }
}

function base(scenario: Scenario, options: RunDrillOptions, speed: number, startedAt: number, faultAt: number | undefined) {
  return {
    scenario: { name: scenario.name, title: scenario.title, description: scenario.description, file: options.file ?? `${scenario.name}.yaml` },
    speed,
    startedAt,
    endedAt: Date.now(),
    faultAt,
  };
}

function emptyFigures(): DrillFigures {
  return { detectS: undefined, mitigateS: undefined, requests: 0, slowed: 0, failed: 0, slowedShare: 0, failedShare: 0, diagnosisCorrect: undefined, diagnosis: undefined };
}

/** Figures from the fault to the end: the traffic counted between the two snapshots. */
function measure(atFault: TrafficSnapshot, final: TrafficSnapshot, found: Pick<DrillFigures, 'detectS' | 'mitigateS' | 'diagnosisCorrect' | 'diagnosis'>): DrillFigures {
  // Requests settled (answered, failed or refused) after the fault, so the shares stay within 0..1:
  // a request sent before the fault and answered slowly after it counts, as its user felt the fault.
  const requests = final.ok + final.failed - (atFault.ok + atFault.failed);
  const slowed = final.slowerThanSlo - atFault.slowerThanSlo;
  const failed = final.failed - atFault.failed;
  return { ...found, requests, slowed, failed, slowedShare: requests === 0 ? 0 : slowed / requests, failedShare: requests === 0 ? 0 : failed / requests };
}

/** Polls `probe` every 250 ms until it gives a value or `timeoutMs` passes. */
async function waitFor(probe: () => number | undefined | Promise<number | undefined>, timeoutMs: number, signal: AbortSignal | undefined): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  // Bounded by the deadline; at least one look even with a zero timeout.
  for (let attempt = 0; attempt < 100_000; attempt++) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) return undefined;
    await sleep(250, signal);
  }
  return undefined;
}

/** Requests received by each backend, sampled every 250 ms, so shares can be read between two moments after the fact. */
class ServedSampler {
  readonly #backends: ReadonlyMap<string, CapacityBackend>;
  readonly #samples: { at: number; served: Record<string, number> }[] = [];
  readonly #timer: NodeJS.Timeout;

  constructor(backends: ReadonlyMap<string, CapacityBackend>) {
    this.#backends = backends;
    this.take();
    this.#timer = setInterval(() => this.take(), 250);
  }

  take(): void {
    this.#samples.push({ at: Date.now(), served: Object.fromEntries([...this.#backends].map(([id, backend]) => [id, backend.counters().received])) });
  }

  /** The last sample taken at or before `at` (the first sample when none is). */
  at(at: number): Record<string, number> {
    let found = this.#samples[0];
    for (const sample of this.#samples) {
      if (sample.at > at) break;
      found = sample;
    }
    return found.served;
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

/** "web-1 41%, web-2 39%, ..." of the requests served between two counter snapshots. */
function describeShares(before: Record<string, number>, after: Record<string, number>): string {
  const deltas = Object.entries(after).map(([id, count]) => [id, count - (before[id] ?? 0)] as const);
  const total = deltas.reduce((sum, [, count]) => sum + count, 0);
  if (total === 0) return 'no requests';
  return `${deltas.map(([id, count]) => `${id} ${Math.round((count / total) * 100)}%`).join(', ')} of ${total} requests`;
}

function mergeTimeline(drill: readonly DrillTimelineEntry[], evenkeel: readonly DrillTimelineEntry[], faultAt: number | undefined): DrillTimelineEntry[] {
  return [...drill.map((entry) => ({ ...entry, offsetS: faultAt === undefined ? 0 : round1((entry.at - faultAt) / 1000) })), ...evenkeel].sort((a, b) => a.at - b.at);
}

function eventsOf(events: readonly DrillEvent[], startedAt: number): DrillEvent[] {
  return events.filter((event) => event.at >= startedAt - 1000);
}

async function settle(stop: () => Promise<unknown> | undefined): Promise<void> {
  try {
    await stop();
  } catch {
    // Cleaning up after a drill: the resource is gone either way, and the drill's own error (if any) is what the user needs.
  }
}

/** Phases and a fraction of the planned time, reported every PROGRESS_MS and on every phase change. */
class ProgressClock {
  readonly plannedMs: number;
  #phase: DrillPhase = 'starting';
  #message = '';
  #fraction = 0;
  readonly #startedAt: number;
  readonly #onProgress: ((progress: DrillProgress) => void) | undefined;
  readonly #timer: NodeJS.Timeout | undefined;

  constructor(scenario: Scenario, speed: number, startedAt: number, onProgress: ((progress: DrillProgress) => void) | undefined) {
    const phases = scenario.phases;
    const detectPlan = scenario.expect.alert.length > 0 ? Math.min(phases.detect_timeout, (scenario.targets.detect_s ?? 20) * 1000) : 0;
    const manual = scenario.mitigation.kind === 'manual' ? scenario.mitigation.after / speed : 0;
    const stream = phases.fault.kind === 'change_stream' ? (phases.fault.count * phases.fault.interval) / speed : phases.fault.kind === 'flap' ? phases.fault.period * phases.fault.times : 0;
    this.plannedMs = STARTING_PLAN_MS + phases.warmup / speed + detectPlan + manual + stream + phases.observe / speed;
    this.#startedAt = startedAt;
    this.#onProgress = onProgress;
    if (onProgress !== undefined) {
      this.#timer = setInterval(() => this.#emit(), PROGRESS_MS);
      this.#timer.unref();
    }
  }

  enter(phase: DrillPhase, message: string): void {
    this.#phase = phase;
    this.#message = message;
    this.#emit();
  }

  markFault(_at: number): void {
    this.#emit();
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
  }

  #emit(): void {
    if (this.#onProgress === undefined) return;
    const byTime = Math.min(0.99, (Date.now() - this.#startedAt) / this.plannedMs);
    const byPhase = DRILL_PHASES.indexOf(this.#phase) / DRILL_PHASES.length;
    // Never backwards: a phase that starts early moves the bar to the phase's share at least.
    this.#fraction = Math.max(this.#fraction, this.#phase === 'report' ? 0.99 : Math.max(byTime, byPhase));
    this.#onProgress({ phase: this.#phase, fraction: this.#fraction, message: this.#message });
  }
}
