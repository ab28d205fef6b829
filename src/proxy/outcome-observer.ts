import type { BackendState } from '../balance/index.js';

/**
 * Hears how each forwarded request went, for passive health checking (health/ implements it).
 * `isFailure` is true for a 5xx from the backend, a connection failure or an upstream timeout.
 */
export interface OutcomeObserver {
  recordOutcome(backend: BackendState, isFailure: boolean): void;
}
