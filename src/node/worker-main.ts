import { DataPlane } from './data-plane.js';
import { applyHealth, PassiveTracker, type HealthSnapshot } from '../health/index.js';
import { Telemetry } from '../telemetry/index.js';
import type { PrimaryMessage, WorkerMessage } from './messages.js';
import { collectAfterStart } from './heap-budget.js';
import { preferEventLoopThread } from './thread-priority.js';
import { tuneV8ForServing } from './serving-v8.js';

// A cluster worker: the full data plane, steered by its primary (see cluster-primary.ts).

tuneV8ForServing();

const TELEMETRY_FLUSH_MS = 1000;

function send(message: WorkerMessage): void {
  if (process.connected) process.send?.(message);
}

let dataPlane: DataPlane | undefined;
let lastHealth: HealthSnapshot | undefined;
let isShuttingDown = false;
const telemetry = new Telemetry();
const tracker = new PassiveTracker((pool, backend) => send({ t: 'failure-streak', pool, backend }));

const flushTelemetry = () => send({ t: 'telemetry', delta: telemetry.drainDelta() });
const flushTimer = setInterval(flushTelemetry, TELEMETRY_FLUSH_MS);

/** Every backend's in-flight count goes into deltas from the start, even before its first request ends. */
function trackBackends(): void {
  for (const members of dataPlane?.poolMembers() ?? []) telemetry.trackBackends(members.backends);
}

async function shutdown(drainMs: number): Promise<void> {
  if (isShuttingDown) return;
  isShuttingDown = true;
  await dataPlane?.close(drainMs);
  clearInterval(flushTimer);
  // The last telemetry must reach the primary before the channel closes, or requests go uncounted.
  if (process.connected) {
    await new Promise<void>((resolve) => process.send?.({ t: 'telemetry', delta: telemetry.drainDelta() } satisfies WorkerMessage, undefined, {}, () => resolve()));
    process.disconnect?.();
  }
  process.exitCode = 0;
}

process.on('message', (message: PrimaryMessage) => {
  switch (message.t) {
    case 'init':
      dataPlane = new DataPlane(message.config, {
        cookieSecret: message.cookieSecret,
        telemetry,
        outcomes: tracker,
        accessLog: message.accessLog,
      });
      tracker.setPools(dataPlane.snapshot.config);
      trackBackends();
      if (lastHealth) applyHealth(lastHealth, dataPlane.poolMembers());
      dataPlane.listen().then(
        () => send({ t: 'listening' }),
        (error: unknown) => send({ t: 'fatal', message: error instanceof Error ? error.message : String(error) }),
      );
      break;
    case 'config':
      if (!dataPlane) return;
      dataPlane.swap(message.config);
      tracker.setPools(message.config);
      trackBackends();
      if (lastHealth) applyHealth(lastHealth, dataPlane.poolMembers());
      break;
    case 'health':
      lastHealth = message.health;
      if (dataPlane) applyHealth(message.health, dataPlane.poolMembers());
      break;
    case 'shutdown':
      void shutdown(message.drainMs);
      break;
  }
});

// Signals from a terminal reach the whole process group; the primary decides when workers stop.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => undefined);
send({ t: 'ready' });
collectAfterStart();
preferEventLoopThread();

// If the primary dies, drain and leave rather than serve on without health or config updates.
process.on('disconnect', () => void shutdown(5_000));
