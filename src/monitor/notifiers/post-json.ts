import { request, type Dispatcher } from 'undici';
import { DeliveryError } from './delivery-error.js';

const REASON_CHARS = 200;
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** One POST of a JSON body; resolves on 2xx, rejects with a DeliveryError that says whether to retry. */
export async function postJson(
  dispatcher: Dispatcher,
  url: string,
  body: string,
  headers: Readonly<Record<string, string>>,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<void> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const either = AbortSignal.any([signal, timeout]);
  let response: Dispatcher.ResponseData;
  try {
    response = await request(url, {
      dispatcher,
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'user-agent': 'evenkeel', ...headers },
      signal: either,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
  } catch (error) {
    throw failureOf(error, timeoutMs, timeout, signal);
  }
  const { statusCode } = response;
  if (statusCode >= 200 && statusCode < 300) {
    await response.body.dump().catch(() => undefined);
    return;
  }
  // The start of the answer usually says why (Alertmanager: "bad_data: ...").
  const text = await response.body.text().then(
    (answer) => answer.trim().slice(0, REASON_CHARS),
    () => '',
  );
  const isRetryable = statusCode >= 500 || statusCode === 429;
  throw new DeliveryError(
    'EK_DELIVERY_HTTP_STATUS',
    `HTTP ${statusCode}${text === '' ? '' : `: ${text}`}`,
    isRetryable,
    statusCode,
    retryAfterMs(response.headers['retry-after']),
  );
}

function failureOf(error: unknown, timeoutMs: number, timeout: AbortSignal, shutdown: AbortSignal): DeliveryError {
  if (shutdown.aborted) return new DeliveryError('EK_DELIVERY_ABANDONED', 'abandoned at shutdown', false);
  const code = (error as { code?: unknown }).code;
  if (timeout.aborted || (typeof code === 'string' && TIMEOUT_CODES.has(code))) {
    return new DeliveryError('EK_DELIVERY_TIMEOUT', `no answer within ${timeoutMs} ms`, true);
  }
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  const detail = typeof code === 'string' ? code : typeof cause?.code === 'string' ? cause.code : '';
  const message = error instanceof Error ? error.message : String(error);
  return new DeliveryError('EK_DELIVERY_NETWORK', detail === '' || message.includes(detail) ? message : `${message} (${detail})`, true);
}

/** Retry-After in seconds or as an HTTP date. */
function retryAfterMs(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
