import type { CapacityBackend } from './capacity-backend.js';
import { AdminCallError, DRILL_ACTORS, DRILL_POOL, type ChangeRef, type DrillNode, type PoolState } from './drill-node.js';
import { DrillError } from './errors.js';
import type { SessionTraffic } from './session-traffic.js';
import type { Scenario, ScenarioChangeStep, ScenarioFault, ScenarioMitigation } from './scenario-schema.js';

// What a drill does to the system: the prelude's changes, the one fault, and a manual fix. Each
// action reports what happened in one line for the timeline; the runner decides when to call them.

/** What the drill acts on. */
export interface DrillWorld {
  readonly scenario: Scenario;
  readonly node: DrillNode;
  readonly backends: ReadonlyMap<string, CapacityBackend>;
  readonly traffic: SessionTraffic;
  readonly speed: number;
  readonly signal: AbortSignal | undefined;
  /** Adds a line to the drill's timeline ('drill' source). */
  readonly note: (kind: string, text: string, at?: number) => void;
}

/** How one proposed change ended. */
export type ChangeOutcome =
  | { readonly kind: 'applied'; readonly change: ChangeRef }
  | { readonly kind: 'held'; readonly change: ChangeRef }
  | { readonly kind: 'refused'; readonly message: string };

/** Proposes a change as the step's author and, when the step is approved, approves and applies it. */
export async function applyChangeStep(world: DrillWorld, step: Pick<ScenarioChangeStep, 'author' | 'approved' | 'reason' | 'weights' | 'bound'>): Promise<ChangeOutcome> {
  const { node } = world;
  const author = step.author === 'automation' ? DRILL_ACTORS.automation : DRILL_ACTORS.operator;
  const state: PoolState = { weights: { ...node.state.weights, ...step.weights }, bound: step.bound ?? node.state.bound };
  const what = describeStep(node.state, state);
  let proposed: ChangeRef;
  try {
    proposed = await node.propose(author, step.reason, state);
  } catch (error) {
    if (error instanceof AdminCallError && error.status < 500 && error.status !== 401 && error.status !== 403) {
      world.note('change.refused', `${author} proposed ${what}: refused (${error.message.replace(/^POST \/api\/v1\/changes: /, '')})`);
      return { kind: 'refused', message: error.message };
    }
    throw error;
  }
  if (proposed.status === 'rejected') {
    world.note('change.refused', `${author} proposed ${what} as change ${proposed.id}: refused by guardrails`);
    return { kind: 'refused', message: (proposed.findings ?? []).map((finding) => finding.message).join('; ') };
  }
  if (proposed.status === 'applied') {
    node.resetState(state);
    world.note('change.applied', `${author} changed ${what} (change ${proposed.id}, applied without approval)`, proposed.updatedAt);
    return { kind: 'applied', change: proposed };
  }
  if (!step.approved) {
    world.note('change.held', `${author} proposed ${what} as change ${proposed.id}: held for approval, nobody approves it`);
    return { kind: 'held', change: proposed };
  }
  const applied = await node.approveAndApply(proposed.id, state);
  if (applied.status !== 'applied') throw new DrillError('EK_DRILL_NODE', `change ${proposed.id} was approved but not applied: ${applied.status}`);
  world.note('change.applied', `${author} changed ${what} (change ${proposed.id}, approved by ${DRILL_ACTORS.approver})`, applied.updatedAt);
  return { kind: 'applied', change: applied };
}

/** Injects the fault; resolves with its onset (epoch ms) and a promise of the fault's end for faults that last. */
export async function injectFault(world: DrillWorld, fault: ScenarioFault): Promise<{ onsetMs: number; done: Promise<void> }> {
  const { scenario, traffic } = world;
  switch (fault.kind) {
    case 'change': {
      const outcome = await applyChangeStep(world, fault);
      const onsetMs = outcome.kind === 'refused' ? Date.now() : outcome.change.updatedAt;
      return { onsetMs, done: Promise.resolve() };
    }
    case 'change_stream': {
      const onsetMs = Date.now();
      world.note('fault', `automation starts a stream of ${fault.count} weight changes, one every ${fault.interval / 1000} s`);
      return { onsetMs, done: runChangeStream(world, fault) };
    }
    case 'crash': {
      const onsetMs = Date.now();
      await Promise.all(fault.backends.map((id) => backendOf(world, id).crash()));
      world.note('fault', `${listOf(fault.backends)} crashed`);
      const restartAfter = fault.restart_after;
      const done = restartAfter === undefined ? Promise.resolve() : sleep(restartAfter / world.speed, world.signal).then(() => restart(world, fault.backends, 'restarted'));
      return { onsetMs, done };
    }
    case 'slow': {
      const onsetMs = Date.now();
      for (const id of fault.backends) {
        backendOf(world, id).set({ serviceTime: { medianMs: fault.service_time.median, p99Ms: fault.service_time.p99 }, maxConcurrency: fault.max_concurrency });
      }
      world.note('fault', `${listOf(fault.backends)} slowed down: median ${fault.service_time.median} ms, p99 ${fault.service_time.p99} ms per request`);
      return { onsetMs, done: Promise.resolve() };
    }
    case 'flap': {
      const onsetMs = Date.now();
      world.note('fault', `${fault.backend} starts flapping: down and up every ${fault.period / 1000} s, ${fault.times} times`);
      return { onsetMs, done: runFlap(world, fault.backend, fault.period, fault.times) };
    }
    case 'traffic': {
      const onsetMs = Date.now();
      traffic.setRate(scenario.traffic.rate * fault.rate_factor);
      world.note('fault', `traffic rises ${fault.rate_factor}x to ${Math.round(scenario.traffic.rate * fault.rate_factor)} req/s, spread like before`);
      return { onsetMs, done: Promise.resolve() };
    }
  }
}

/** Applies the scenario's manual fix; resolves with when it took effect (epoch ms). */
export async function applyManualFix(world: DrillWorld, mitigation: Extract<ScenarioMitigation, { kind: 'manual' }>): Promise<number> {
  const backends = mitigation.backends.length > 0 ? mitigation.backends : faultBackends(world.scenario.phases.fault);
  switch (mitigation.action) {
    case 'restart_backend':
      await restart(world, backends, 'restarted by the operator');
      return Date.now();
    case 'drain_backend':
    case 'restore_weights': {
      const weights = mitigation.action === 'drain_backend' ? Object.fromEntries(backends.map((id) => [id, 0])) : Object.fromEntries(world.scenario.backends.ids.map((id) => [id, world.scenario.pool.weights[id] ?? 100]));
      const reason = mitigation.action === 'drain_backend' ? `drain ${listOf(backends)} (drill fix)` : 'restore the starting weights (drill fix)';
      const outcome = await applyChangeStep(world, { author: 'operator', approved: true, reason, weights });
      if (outcome.kind !== 'applied') throw new DrillError('EK_DRILL_NODE', `the drill's fix (${reason}) was ${outcome.kind}: ${outcome.kind === 'refused' ? outcome.message : 'not applied'}`);
      return outcome.change.updatedAt;
    }
  }
}

/** The backends a fault is about, for a manual fix that names none. */
export function faultBackends(fault: ScenarioFault): string[] {
  if (fault.kind === 'crash' || fault.kind === 'slow') return [...fault.backends];
  if (fault.kind === 'flap') return [fault.backend];
  return [];
}

async function runChangeStream(world: DrillWorld, fault: Extract<ScenarioFault, { kind: 'change_stream' }>): Promise<void> {
  for (let index = 0; index < fault.count; index++) {
    if (world.signal?.aborted) return;
    await applyChangeStep(world, { author: fault.author, approved: fault.approved, reason: `rebalance run ${index + 1} (weights.sh)`, weights: fault.weights[index % fault.weights.length], bound: undefined });
    if (index < fault.count - 1) await sleep(fault.interval / world.speed, world.signal);
  }
}

async function runFlap(world: DrillWorld, id: string, periodMs: number, times: number): Promise<void> {
  const backend = backendOf(world, id);
  for (let cycle = 0; cycle < times; cycle++) {
    await backend.crash();
    await sleep(periodMs / 2, world.signal);
    await backend.restart();
    if (cycle < times - 1) await sleep(periodMs / 2, world.signal);
  }
  world.note('fault', `${id} stopped flapping after ${times} cycles`);
}

async function restart(world: DrillWorld, ids: readonly string[], how: string): Promise<void> {
  await Promise.all(ids.map((id) => backendOf(world, id).restart()));
  world.note('mitigation', `${listOf(ids)} ${how}`);
}

function backendOf(world: DrillWorld, id: string): CapacityBackend {
  const backend = world.backends.get(id);
  if (backend === undefined) throw new DrillError('EK_DRILL_INVALID_OPTION', `the scenario names backend ${id}, which the drill did not start`);
  return backend;
}

function describeStep(before: PoolState, after: PoolState): string {
  const moves = Object.keys(after.weights)
    .filter((id) => after.weights[id] !== before.weights[id])
    .map((id) => `${id} ${before.weights[id] ?? 100} -> ${after.weights[id]}`);
  if (after.bound !== before.bound) moves.push(`persistence bound ${before.bound} -> ${after.bound}`);
  return `${DRILL_POOL}: ${moves.length === 0 ? 'nothing' : moves.join(', ')}`;
}

function listOf(ids: readonly string[]): string {
  return ids.length <= 1 ? ids.join('') : `${ids.slice(0, -1).join(', ')} and ${ids[ids.length - 1]}`;
}

/** Waits `ms`, or rejects with EK_DRILL_ABORTED as soon as the signal aborts. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new DrillError('EK_DRILL_ABORTED', 'the drill was stopped'));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new DrillError('EK_DRILL_ABORTED', 'the drill was stopped'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
