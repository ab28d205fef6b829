import type { BackendState } from '../balance/index.js';

/**
 * Hears how each forwarded request went, for passive health checking. The proxy calls it after every
 * upstream attempt; `isFailure` is true for a 5xx, a connection failure or an upstream timeout.
 * Implementations run on the request path: O(1), synchronous, no allocation.
 * (Same shape as proxy/'s OutcomeObserver, so either side can be handed to the other.)
 */
export interface OutcomeObserver {
  recordOutcome(backend: BackendState, isFailure: boolean): void;
}
