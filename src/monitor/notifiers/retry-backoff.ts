import { setTimeout as sleep } from 'node:timers/promises';
import { DeliveryError } from './delivery-error.js';

/** How often and how patiently one notification is retried. */
export interface RetryPolicy {
  readonly maxAttempts: number;
  /** Delay before the second attempt; it doubles for each further attempt (1 s, 2 s, 4 s ...). */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Uniform in [0, 1); injectable so tests are deterministic. */
  readonly random: () => number;
}

/**
 * Delay before attempt `failedAttempts + 1`: exponential from the base, capped, with ±25% jitter so
 * that several nodes that lost the same receiver at the same moment do not retry in lockstep.
 * A Retry-After from the receiver is honoured up to the cap.
 */
export function retryDelayMs(failedAttempts: number, policy: RetryPolicy, retryAfterMs?: number): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (failedAttempts - 1));
  const jittered = exponential * (0.75 + 0.5 * policy.random());
  const asked = retryAfterMs === undefined ? 0 : Math.min(policy.maxDelayMs, retryAfterMs);
  return Math.round(Math.max(jittered, asked));
}

/** What the caller hears about a failed attempt that will be retried. */
export type RetryListener = (error: DeliveryError, attempt: number, delayMs: number) => void;

/**
 * Runs `attempt` until it succeeds, fails with an error that is not retryable, or has been tried
 * `maxAttempts` times; rejects with the last DeliveryError. `signal` abandons the waiting (shutdown).
 */
export async function sendWithRetries(
  attempt: (signal: AbortSignal) => Promise<void>,
  policy: RetryPolicy,
  signal: AbortSignal,
  onRetry: RetryListener,
): Promise<number> {
  for (let attempts = 1; ; attempts++) {
    try {
      await attempt(signal);
      return attempts;
    } catch (error) {
      const failure = error instanceof DeliveryError ? error : new DeliveryError('EK_DELIVERY_NETWORK', String(error), true);
      if (!failure.isRetryable || attempts >= policy.maxAttempts || signal.aborted) throw failure;
      const delayMs = retryDelayMs(attempts, policy, failure.retryAfterMs);
      onRetry(failure, attempts, delayMs);
      try {
        // Unref'd: a retry that is waiting must not keep a stopping process alive; close() bounds it.
        await sleep(delayMs, undefined, { signal, ref: false });
      } catch {
        throw new DeliveryError('EK_DELIVERY_ABANDONED', `abandoned at shutdown after ${attempts} attempt(s); last error: ${failure.message}`, false);
      }
    }
  }
}
