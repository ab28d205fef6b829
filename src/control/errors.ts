/**
 * Errors of the control plane. Every error carries a stable `code` (the admin API and the CLI print it)
 * and a message that names the offending value and says what to do instead.
 */

export type StoreErrorCode =
  | 'EK_STORE_URL_INVALID'
  | 'EK_STORE_UNAVAILABLE'
  | 'EK_STORE_MIGRATION_FAILED'
  | 'EK_STORE_BUSY'
  | 'EK_STORE_CLOSED';

/** The store cannot be opened, migrated or written. */
export class StoreError extends Error {
  readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
    this.code = code;
  }
}

export type EventLogErrorCode = 'EK_EVENT_INVALID' | 'EK_EVENT_QUERY_INVALID';

/** An event cannot be appended or a query on the audit log is malformed. */
export class EventLogError extends Error {
  readonly code: EventLogErrorCode;

  constructor(code: EventLogErrorCode, message: string) {
    super(message);
    this.name = 'EventLogError';
    this.code = code;
  }
}

export type TokenErrorCode =
  | 'EK_TOKEN_ROLE_INVALID'
  | 'EK_TOKEN_NAME_INVALID'
  | 'EK_TOKEN_NAME_TAKEN'
  | 'EK_TOKEN_NOT_FOUND'
  | 'EK_TOKEN_BOOTSTRAP_INVALID';

/** A token cannot be created, found or revoked as asked. */
export class TokenError extends Error {
  readonly code: TokenErrorCode;

  constructor(code: TokenErrorCode, message: string) {
    super(message);
    this.name = 'TokenError';
    this.code = code;
  }
}
