import { DataPlane } from './data-plane.js';
import type { Control } from './control.js';
import type { RunningNode, ServeOptions } from './serve-options.js';

/**
 * A node with one process: the data plane shares the process with health checks and the admin API.
 * `control` is open (store, change service); its config is the one to start with.
 */
export async function startSingleNode(control: Control, options: ServeOptions, cookieSecret: string): Promise<RunningNode> {
  const dataPlane = new DataPlane(control.config, {
    cookieSecret,
    telemetry: control.telemetry,
    outcomes: control.health.observer,
    accessLog: options.accessLog,
  });
  control.adopt(dataPlane.snapshot);
  control.health.start();
  // One process: a request is counted when it ends, so whole seconds are complete at once.
  control.startMonitor(0);
  const adminUrl = await control.startAdmin();
  await dataPlane.listen();
  control.enableReload(options.watch, (next) => control.adopt(dataPlane.swap(next)));
  return {
    adminUrl,
    control,
    async stop(drainMs: number) {
      await dataPlane.close(drainMs);
      await control.close();
    },
  };
}
