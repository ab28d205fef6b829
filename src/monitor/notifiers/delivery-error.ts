// Why one delivery attempt failed. Failures are logged with their code and never thrown at the
// monitor: a notifier that is down must not slow down or stop the evaluation of the rules.

export type DeliveryErrorCode =
  | 'EK_DELIVERY_HTTP_STATUS'
  | 'EK_DELIVERY_TIMEOUT'
  | 'EK_DELIVERY_NETWORK'
  | 'EK_DELIVERY_ABANDONED';

/** One failed attempt to deliver an alert to a webhook or an Alertmanager. */
export class DeliveryError extends Error {
  readonly code: DeliveryErrorCode;
  /** Network errors, timeouts, 5xx and 429 may succeed on a later attempt; other 4xx will not. */
  readonly isRetryable: boolean;
  /** The HTTP status when the receiver answered. */
  readonly status: number | undefined;
  /** From a Retry-After header (429, 503): the receiver asked to wait this long. */
  readonly retryAfterMs: number | undefined;

  constructor(code: DeliveryErrorCode, message: string, isRetryable: boolean, status?: number, retryAfterMs?: number) {
    super(message);
    this.name = 'DeliveryError';
    this.code = code;
    this.isRetryable = isRetryable;
    this.status = status;
    this.retryAfterMs = retryAfterMs;
  }
}
