import type { Control } from './control.js';

export interface ServeOptions {
  configPath: string;
  /** Re-read the config file whenever it changes (SIGHUP always re-reads it). */
  watch: boolean;
  /** Structured JSON access log on standard output. */
  accessLog: boolean;
  /** Overrides the config's `workers`. */
  workers?: number | 'auto';
}

export interface RunningNode {
  adminUrl: string;
  control: Control;
  /** Stops accepting, finishes in-flight requests for up to drainMs, closes everything. */
  stop(drainMs: number): Promise<void>;
}
