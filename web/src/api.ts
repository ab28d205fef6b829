import { forgetToken, storedToken } from './session';

// Calls to the admin API of the node that serves this page. Every error body is {code, message}
// (docs/admin-api.md); a 401 means the token is gone or revoked, so the app returns to sign-in.

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
  /** The route does not exist on this node (an older version, or a feature not built in). */
  get isNotAvailable(): boolean {
    return this.status === 404 && this.code === 'EK_ADMIN_NOT_FOUND';
  }
}

type SignedOutListener = (reason: string) => void;
const signedOutListeners = new Set<SignedOutListener>();

/** Called when a request answers 401: the token was revoked or is wrong. */
export function onSignedOut(listener: SignedOutListener): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

function signOut(reason: string): void {
  forgetToken();
  for (const listener of signedOutListeners) listener(reason);
}

interface CallOptions {
  method?: 'GET' | 'POST' | 'DELETE';
  body?: unknown;
  /** Read the body as text (Markdown reports) instead of JSON. */
  asText?: boolean;
  token?: string;
}

export async function api<T>(path: string, options: CallOptions = {}): Promise<T> {
  const token = options.token ?? storedToken();
  const headers: Record<string, string> = {};
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, { method: options.method ?? 'GET', headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  const text = await response.text();
  if (!response.ok) {
    let code = `HTTP_${response.status}`;
    let message = text || response.statusText;
    try {
      const parsed = JSON.parse(text) as { code?: string; message?: string };
      code = parsed.code ?? code;
      message = parsed.message ?? message;
    } catch {
      // Not JSON (a proxy in front of the node, for example): keep the text as the message.
    }
    const error = new ApiError(response.status, code, message);
    // Only the first refusal of the signed-in token signs out: a call that started after it (no
    // token any more: "this route needs a token") or with the token already forgotten must not
    // replace the reason the page shows.
    if (response.status === 401 && options.token === undefined && token !== undefined && token === storedToken()) signOut(message);
    throw error;
  }
  if (options.asText === true) return text as T;
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

/** The URL of the stats stream: EventSource cannot send headers, so the token goes in the query. */
export function statsStreamUrl(): string {
  return `/api/v1/stats/stream?token=${encodeURIComponent(storedToken() ?? '')}`;
}

/** An error in words for the page. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) return `${error.message} (${error.code})`;
  return error instanceof Error ? error.message : String(error);
}
