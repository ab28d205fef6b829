import type { Config } from '../config/index.js';
import type { HealthSnapshot } from '../health/index.js';
import type { TelemetryDelta } from '../telemetry/index.js';

// What the primary and its workers say to each other over the cluster IPC channel.

export type PrimaryMessage =
  | { t: 'init'; config: Config; cookieSecret: string; accessLog: boolean }
  | { t: 'config'; config: Config }
  | { t: 'health'; health: HealthSnapshot }
  | { t: 'shutdown'; drainMs: number };

export type WorkerMessage =
  /** The worker's message handler is installed; messages sent before this would be lost. */
  | { t: 'ready' }
  | { t: 'listening' }
  | { t: 'telemetry'; delta: TelemetryDelta }
  | { t: 'failure-streak'; pool: string; backend: string }
  | { t: 'fatal'; message: string };
