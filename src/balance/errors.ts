/**
 * A pool's balancing settings cannot be turned into a picker (for example `hash.by: header` without
 * `hash.name`). Thrown when a snapshot is built, never on the request path.
 */
export class BalanceConfigError extends Error {
  readonly code: string;

  constructor(code: 'EK_BALANCE_KEY_NAME_REQUIRED' | 'EK_BALANCE_COOKIE_SECRET_REQUIRED', message: string) {
    super(message);
    this.name = 'BalanceConfigError';
    this.code = code;
  }
}
