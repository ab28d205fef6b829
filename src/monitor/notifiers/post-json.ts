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
  // One controller per attempt, aborted by the timeout or by shutdown. (Not AbortSignal.any: on
  // Node 20 it keeps every derived signal alive as long as the long-lived shutdown signal.)
  const attempt = new AbortController();
  const timeout = { aborted: false };
  const timer = setTimeout(() => {
    timeout.aborted = true;
    attempt.abort();
  }, timeoutMs);
  timer.unref();
  const onShutdown = () => attempt.abort();
  signal.addEventListener('abort', onShutdown, { once: true });
  try {
    return await postOnce(dispatcher, url, body, headers, timeoutMs, attempt.signal, timeout, signal);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onShutdown);
  }
}

async function postOnce(
  dispatcher: Dispatcher,
  url: string,
  body: string,
  headers: Readonly<Record<string, string>>,
  timeoutMs: number,
  attemptSignal: AbortSignal,
  timeout: { readonly aborted: boolean },
  shutdown: AbortSignal,
): Promise<void> {
  let response: Dispatcher.ResponseData;
  try {
    response = await request(url, {
      dispatcher,
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'user-agent': 'evenkeel', ...headers },
      signal: attemptSignal,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
  } catch (error) {
    throw failureOf(error, timeoutMs, timeout, shutdown);
  }
  const { statusCode } = response;
  if (statusCode >= 200 && statusCode < 300) {
    await response.body.dump().catch(() => undefined);
    return;
  }
  const text = await reasonOf(response.body);
  const isRetryable = statusCode >= 500 || statusCode === 429;
  throw new DeliveryError(
    'EK_DELIVERY_HTTP_STATUS',
    `HTTP ${statusCode}${text === '' ? '' : `: ${text}`}`,
    isRetryable,
    statusCode,
    retryAfterMs(response.headers['retry-after']),
  );
}

/** The start of an error answer, which usually says why (Alertmanager: "bad_data: ..."); the rest is not read. */
async function reasonOf(body: Dispatcher.ResponseData['body']): Promise<string> {
  let text = '';
  try {
    for await (const chunk of body) {
      text += String(chunk);
      if (text.length >= REASON_CHARS) break;
    }
  } catch {
    // An answer cut short still has its status, which is what decides the retry.
  }
  return text.trim().slice(0, REASON_CHARS);
}

function failureOf(error: unknown, timeoutMs: number, timeout: { readonly aborted: boolean }, shutdown: AbortSignal): DeliveryError {
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
