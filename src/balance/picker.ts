import type { IncomingHttpHeaders } from 'node:http';
import type { BackendState } from './backend.js';

/** What a picker may look at in a request. The proxy reuses one object per request. */
export interface PickRequest {
  sourceIp: string;
  path: string;
  headers: IncomingHttpHeaders;
}

/** What a pick decided besides the backend; the proxy resets it before each pick. */
export interface PickOutcome {
  /** Persistence chose the backend (a valid cookie, header or source-IP entry). */
  isPinned: boolean;
  /** Persistence or hashing wanted another backend that was over its load bound, unhealthy or draining. */
  isSpilled: boolean;
  /** A Set-Cookie header value the proxy must add to the response (cookie persistence), or undefined. */
  setCookie: string | undefined;
}

/** Chooses a backend for one request. Synchronous, in-memory, allocation-light. */
export interface Picker {
  /**
   * Returns the backend for this request, or undefined when no selectable backend has capacity.
   * `exclude` is a backend already tried (retries go to a different one).
   */
  pick(request: PickRequest, outcome: PickOutcome, exclude: BackendState | undefined): BackendState | undefined;
}

export function resetOutcome(outcome: PickOutcome): void {
  outcome.isPinned = false;
  outcome.isSpilled = false;
  outcome.setCookie = undefined;
}
