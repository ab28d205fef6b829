/** What changed: a verdict of active checks, an outlier ejection, or the pool's panic mode. */
export type HealthEventKind = 'up' | 'down' | 'ejected' | 'returned' | 'panic' | 'panic_over';

/** One health change, for the log and (later) the event log. */
export interface HealthEvent {
  pool: string;
  /** Backend id; "*" for pool-wide events (panic, panic_over). */
  backend: string;
  kind: HealthEventKind;
  /** Why, in words: "3 failed checks in a row, last: status 503". */
  reason: string;
  /** Milliseconds since the epoch, from the coordinator's clock. */
  at: number;
}

/** The backend field of pool-wide events. */
export const WHOLE_POOL = '*';
