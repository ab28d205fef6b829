import { ProxyError, type ProxyErrorCode } from './errors.js';

// When a failed attempt may be sent again. Sending a request twice is only safe when the method is
// idempotent (RFC 9110 §9.2.2) and the first attempt cannot have been acted on: the connection
// failed, or was reset before any byte of response. A response-headers timeout is not retried:
// the backend may be working on the request right now (Envoy's "reset" vs "timeout" retry_on split).

/** RFC 9110 §9.2.2 idempotent methods: safe to send twice. */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/** True for failures that happened before the backend could have acted on the request. */
export function isRetryableFailure(code: ProxyErrorCode): boolean {
  return code === 'EK_UPSTREAM_CONNECT_FAILED' || code === 'EK_UPSTREAM_CONNECT_TIMEOUT' || code === 'EK_UPSTREAM_RESET';
}

/** Maps an undici error to our code. Before the socket connected, every failure is a connect failure. */
export function classifyUpstreamError(error: Error, wasConnected: boolean): ProxyErrorCode {
  if (error instanceof ProxyError) return error.code;
  const code = (error as { code?: string }).code;
  // undici refused the request itself (a header or target it cannot send): the client's fault.
  if (code === 'UND_ERR_INVALID_ARG') return 'EK_BAD_REQUEST';
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return 'EK_UPSTREAM_CONNECT_TIMEOUT';
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return 'EK_UPSTREAM_TIMEOUT';
  if (code === 'UND_ERR_BODY_TIMEOUT') return 'EK_UPSTREAM_IDLE_TIMEOUT';
  return wasConnected ? 'EK_UPSTREAM_RESET' : 'EK_UPSTREAM_CONNECT_FAILED';
}
