import type { Config } from '../config/index.js';
import { Control } from './control.js';
import { DataPlane } from './data-plane.js';
import type { Logger } from './logger.js';
import type { RunningNode, ServeOptions } from './serve-options.js';

/** A node with one process: the data plane shares the process with health checks and the admin API. */
export async function startSingleNode(config: Config, options: ServeOptions, cookieSecret: string, logger: Logger): Promise<RunningNode> {
  const control = new Control(options.configPath, config, logger);
  const dataPlane = new DataPlane(config, {
    cookieSecret,
    telemetry: control.telemetry,
    outcomes: control.health.observer,
    accessLog: options.accessLog,
  });
  control.adopt(dataPlane.snapshot);
  control.health.start();
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
