import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { createPicker } from '../balance/index.js';
import { buildSnapshot, retireSnapshot, type ProxySnapshot } from '../proxy/index.js';
import type { Control } from './control.js';
import type { Logger } from './logger.js';
import type { PrimaryMessage, WorkerMessage } from './messages.js';
import type { RunningNode, ServeOptions } from './serve-options.js';

// With `workers: N` the primary process serves no traffic. It holds the node's authoritative state:
// the config, health (active checks on a mirror of the pools, plus failure streaks the workers
// report), and telemetry merged from every worker's per-second deltas, so that /metrics and the
// shares describe the whole node. Workers receive whole configs and health snapshots, never edits.

const HEALTH_BROADCAST_MS = 500;
/** How far behind the primary's merged telemetry is: one flush interval of the workers plus one partial second. */
const WORKER_DELTA_LAG_MS = 2000;
/** The workers' entry point: beside this file in dist/node/, and beside every chunk in dist/bundle/ (scripts/bundle.js). */
const workerEntry = fileURLToPath(new URL('./worker-entry.js', import.meta.url));

export async function startClusterPrimary(control: Control, options: ServeOptions, cookieSecret: string, logger: Logger, workerCount: number): Promise<RunningNode> {
  const config = control.config;
  const makePicker: Parameters<typeof buildSnapshot>[2] = (pool, members) => createPicker(pool, members, { cookieSecret });
  let mirror: ProxySnapshot = buildSnapshot(config, undefined, makePicker);
  control.adopt(mirror);
  control.health.start();
  // Workers send their telemetry deltas every second, so the primary's last two seconds are partial.
  control.startMonitor(WORKER_DELTA_LAG_MS);
  const adminUrl = await control.startAdmin();

  let isStopping = false;
  const workers = new Set<Worker>();
  const send = (worker: Worker, message: PrimaryMessage) => {
    if (worker.isConnected()) worker.send(message);
  };
  const broadcast = (message: PrimaryMessage) => {
    for (const worker of workers) send(worker, message);
  };
  const broadcastHealth = () => broadcast({ t: 'health', health: control.health.exportHealth() });
  const healthTimer = setInterval(broadcastHealth, HEALTH_BROADCAST_MS);
  healthTimer.unref();

  cluster.setupPrimary({ exec: workerEntry, args: [] });

  const fork = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const worker = cluster.fork();
      workers.add(worker);
      worker.on('message', (message: WorkerMessage) => {
        switch (message.t) {
          case 'ready':
            send(worker, { t: 'init', config: control.config, cookieSecret, accessLog: options.accessLog });
            send(worker, { t: 'health', health: control.health.exportHealth() });
            break;
          case 'listening':
            resolve();
            break;
          case 'telemetry':
            try {
              control.telemetry.mergeDelta(message.delta, worker.id);
            } catch (error) {
              logger.error({ err: error, worker: worker.id }, 'a worker sent telemetry that cannot be merged; it is dropped');
            }
            break;
          case 'failure-streak':
            control.health.reportFailureStreak(message.pool, message.backend);
            broadcastHealth();
            break;
          case 'fatal':
            logger.error({ worker: worker.id }, `worker failed: ${message.message}`);
            reject(new Error(message.message));
            break;
        }
      });
      worker.once('exit', (code, signal) => {
        workers.delete(worker);
        control.telemetry.forgetWorker(worker.id);
        if (isStopping) return;
        logger.error({ worker: worker.id, code, signal }, 'worker exited unexpectedly; starting a replacement');
        fork().catch((error: unknown) => logger.error({ err: error }, 'replacement worker failed to start'));
      });
    });

  await Promise.all(Array.from({ length: workerCount }, () => fork()));

  control.enableReload(options.watch, (next) => {
    const previous = mirror;
    mirror = buildSnapshot(next, previous, makePicker);
    retireSnapshot(previous, mirror);
    control.adopt(mirror);
    broadcast({ t: 'config', config: next });
    broadcastHealth();
  });

  return {
    adminUrl,
    control,
    async stop(drainMs: number) {
      isStopping = true;
      clearInterval(healthTimer);
      const exits = [...workers].map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) return resolve();
            const killTimer = setTimeout(() => worker.process.kill('SIGKILL'), drainMs + 5_000);
            worker.once('exit', () => {
              clearTimeout(killTimer);
              resolve();
            });
          }),
      );
      broadcast({ t: 'shutdown', drainMs });
      await Promise.all(exits);
      await control.close();
    },
  };
}
