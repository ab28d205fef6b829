// Every answer the proxy gives on its own carries `x-evenkeel-error: <code>` so that a user (or a
// drill) can tell "the backend said 502" from "evenkeel could not reach the backend". Codes are
// stable: dashboards, alerts and docs/proxy.md refer to them.

export type ProxyErrorCode =
  | 'EK_NO_ROUTE'
  | 'EK_NO_HEALTHY_BACKEND'
  | 'EK_QUEUE_FULL'
  | 'EK_QUEUE_TIMEOUT'
  | 'EK_UPSTREAM_CONNECT_FAILED'
  | 'EK_UPSTREAM_CONNECT_TIMEOUT'
  | 'EK_UPSTREAM_TIMEOUT'
  | 'EK_UPSTREAM_IDLE_TIMEOUT'
  | 'EK_REQUEST_TIMEOUT'
  | 'EK_CLIENT_IDLE_TIMEOUT'
  | 'EK_UPSTREAM_RESET'
  | 'EK_BODY_TOO_LARGE'
  | 'EK_BAD_REQUEST'
  | 'EK_HEADERS_TOO_LARGE';

export interface ProxyErrorInfo {
  readonly statusCode: number;
  /** Short plain-text body: what happened and what to look at. */
  readonly message: string;
}

export const PROXY_ERRORS: Readonly<Record<ProxyErrorCode, ProxyErrorInfo>> = {
  EK_NO_ROUTE: { statusCode: 404, message: 'No route matches this host, path and headers; check the routes section of the config.' },
  EK_NO_HEALTHY_BACKEND: { statusCode: 503, message: 'No healthy backend in the pool; check the backends\' health.' },
  EK_QUEUE_FULL: { statusCode: 503, message: 'Every backend is at max_inflight and the wait queue is full; retry later.' },
  EK_QUEUE_TIMEOUT: { statusCode: 503, message: 'Every backend stayed at max_inflight for longer than the queue timeout; retry later.' },
  EK_UPSTREAM_CONNECT_FAILED: { statusCode: 502, message: 'The backend refused or could not be reached.' },
  EK_UPSTREAM_CONNECT_TIMEOUT: { statusCode: 504, message: 'Connecting to the backend took longer than timeouts.connect.' },
  EK_UPSTREAM_TIMEOUT: { statusCode: 504, message: 'The backend sent no response headers within timeouts.response_headers.' },
  EK_UPSTREAM_IDLE_TIMEOUT: { statusCode: 504, message: 'The backend went silent for longer than timeouts.idle.' },
  EK_REQUEST_TIMEOUT: { statusCode: 504, message: 'The request took longer than timeouts.request.' },
  EK_CLIENT_IDLE_TIMEOUT: { statusCode: 408, message: 'The request body went silent for longer than timeouts.idle.' },
  EK_UPSTREAM_RESET: { statusCode: 502, message: 'The backend closed the connection before a complete response.' },
  EK_BODY_TOO_LARGE: { statusCode: 413, message: 'The request body is larger than proxy.max_body_size.' },
  EK_BAD_REQUEST: { statusCode: 400, message: 'Malformed HTTP request.' },
  EK_HEADERS_TOO_LARGE: { statusCode: 431, message: 'The request headers are too large.' },
};

/** An error the proxy answers itself; `code` is the x-evenkeel-error value. */
export class ProxyError extends Error {
  readonly code: ProxyErrorCode;
  readonly statusCode: number;

  constructor(code: ProxyErrorCode, detail?: string) {
    const info = PROXY_ERRORS[code];
    super(detail === undefined ? info.message : `${info.message} (${detail})`);
    this.name = 'ProxyError';
    this.code = code;
    this.statusCode = info.statusCode;
  }
}

// Bodies are built once: the error path of a proxy under attack is a hot path too.
const BODIES = new Map<ProxyErrorCode, Buffer>();
for (const code of Object.keys(PROXY_ERRORS) as ProxyErrorCode[]) BODIES.set(code, Buffer.from(`${PROXY_ERRORS[code].message}\n`, 'latin1'));

/** The plain-text body for a code (shared buffer; do not mutate). */
export function errorBody(code: ProxyErrorCode): Buffer {
  return BODIES.get(code) as Buffer;
}

/**
 * A complete raw HTTP/1.1 error response with `Connection: close`, for sockets that never became a
 * request (parse errors) or that were upgraded.
 */
export function rawErrorResponse(code: ProxyErrorCode): Buffer {
  const info = PROXY_ERRORS[code];
  const body = errorBody(code);
  const head =
    `HTTP/1.1 ${info.statusCode} ${STATUS_TEXT[info.statusCode] ?? 'Error'}\r\n` +
    `content-type: text/plain; charset=utf-8\r\ncontent-length: ${body.length}\r\n` +
    `x-evenkeel-error: ${code}\r\nconnection: close\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  431: 'Request Header Fields Too Large',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** A config value the proxy cannot compile (the config schema let it through). */
export class ProxyConfigError extends Error {
  readonly code: 'EK_PROXY_TRUSTED_INVALID' | 'EK_PROXY_ROUTE_POOL_UNKNOWN' | 'EK_PROXY_BACKEND_URL_INVALID' | 'EK_PROXY_CERTIFICATE_INVALID';

  constructor(code: ProxyConfigError['code'], message: string) {
    super(message);
    this.name = 'ProxyConfigError';
    this.code = code;
  }
}
