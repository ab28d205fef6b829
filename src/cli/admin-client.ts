import { request } from 'undici';

/** The server answered with an error: `{ code, message }` (exit 1, message printed verbatim). */
export class AdminApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
    this.name = 'AdminApiError';
  }
}

/** The admin API could not be reached at all (exit 2). */
export class AdminUnreachableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdminUnreachableError';
  }
}

export interface AdminClientOptions {
  /** Base URL of the admin listener, e.g. http://127.0.0.1:9090. */
  readonly baseUrl: string;
  /** Bearer token; null for the unauthenticated routes. */
  readonly token: string | null;
  /** Per-request timeout (default 30000 ms: an apply under load may take a while). */
  readonly timeoutMs?: number;
}

const CONNECT_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EHOSTUNREACH: 'host unreachable',
  ECONNRESET: 'connection reset',
  UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
  UND_ERR_HEADERS_TIMEOUT: 'no answer in time',
  UND_ERR_BODY_TIMEOUT: 'no answer in time',
  UND_ERR_SOCKET: 'connection closed',
};

/** A small typed client for the admin API (docs/admin-api.md); one call per route the CLI uses. */
export class AdminClient {
  readonly baseUrl: string;
  private readonly token: string | null;
  private readonly timeoutMs: number;

  constructor(options: AdminClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  get<T>(path: string, query: Record<string, string | number | undefined> = {}): Promise<T> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
    const qs = params.toString();
    return this.send<T>('GET', qs === '' ? path : `${path}?${qs}`);
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.send<T>('POST', path, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.send<T>('DELETE', path);
  }

  private async send<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token !== null) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response;
    try {
      response = await request(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
    } catch (error) {
      throw new AdminUnreachableError(unreachableMessage(this.baseUrl, error));
    }
    const text = await response.body.text();
    let parsed: unknown = null;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = null;
      }
    }
    if (response.statusCode >= 200 && response.statusCode < 300) {
      if (parsed === null && text !== '') throw new AdminApiError(response.statusCode, 'EK_CLI_BAD_RESPONSE', `the admin API at ${this.baseUrl} answered ${method} ${path} with something that is not JSON; is --admin pointing at an evenkeel admin listener?`, text);
      return parsed as T;
    }
    if (isErrorBody(parsed)) throw new AdminApiError(response.statusCode, parsed.code, parsed.message, parsed);
    throw new AdminApiError(response.statusCode, `HTTP_${response.statusCode}`, `the admin API at ${this.baseUrl} answered ${method} ${path} with HTTP ${response.statusCode}${text === '' ? '' : `: ${text.slice(0, 200)}`}`, text);
  }
}

function isErrorBody(value: unknown): value is { code: string; message: string } {
  return typeof value === 'object' && value !== null && typeof (value as { code?: unknown }).code === 'string' && typeof (value as { message?: unknown }).message === 'string';
}

function unreachableMessage(baseUrl: string, error: unknown): string {
  const err = error as { code?: string; cause?: { code?: string }; message?: string };
  const code = err.cause?.code ?? err.code ?? '';
  const why = CONNECT_ERRORS[code] ?? err.message ?? String(error);
  return `cannot reach the admin API at ${baseUrl}: ${why}; is \`evenkeel serve\` running? set --admin or $EVENKEEL_ADMIN`;
}
