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

export type ChangeErrorCode =
  | 'EK_CHANGE_INVALID'
  | 'EK_CHANGE_FORBIDDEN'
  | 'EK_CHANGE_NOT_FOUND'
  | 'EK_VERSION_NOT_FOUND'
  | 'EK_CHANGE_SELF_APPROVAL'
  | 'EK_CHANGE_APPROVER_ROLE'
  | 'EK_CHANGE_STATE'
  | 'EK_CHANGE_STALE_BASE'
  | 'EK_CHANGE_REFUSED'
  | 'EK_CHANGE_EMPTY'
  | 'EK_CHANGE_APPLY_FAILED'
  | 'EK_CHANGE_NO_LIVE_CONFIG';

/** The HTTP status the admin API answers each change error with. */
export const CHANGE_ERROR_STATUS: Readonly<Record<ChangeErrorCode, number>> = {
  EK_CHANGE_INVALID: 400,
  EK_CHANGE_FORBIDDEN: 403,
  EK_CHANGE_SELF_APPROVAL: 403,
  EK_CHANGE_APPROVER_ROLE: 403,
  EK_CHANGE_NOT_FOUND: 404,
  EK_VERSION_NOT_FOUND: 404,
  EK_CHANGE_STATE: 409,
  EK_CHANGE_STALE_BASE: 409,
  EK_CHANGE_REFUSED: 422,
  EK_CHANGE_EMPTY: 422,
  EK_CHANGE_APPLY_FAILED: 500,
  EK_CHANGE_NO_LIVE_CONFIG: 500,
};

/** A change request cannot be proposed, decided, applied or found as asked. */
export class ChangeError extends Error {
  readonly code: ChangeErrorCode;
  /** HTTP status for the admin API (CHANGE_ERROR_STATUS). */
  readonly statusCode: number;
  /** The change concerned, when there is one. */
  readonly changeId: number | undefined;

  constructor(code: ChangeErrorCode, message: string, options?: { changeId?: number; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ChangeError';
    this.code = code;
    this.statusCode = CHANGE_ERROR_STATUS[code];
    this.changeId = options?.changeId;
  }
}

/** One reason a change was refused (the same shape as ChangeFinding in changes/change-request.ts). */
export interface RefusalFinding {
  readonly rule: string;
  readonly severity: 'error' | 'warning' | 'note';
  readonly message: string;
}

/**
 * A guardrail or an error-level audit finding refused the change. The change is recorded anyway
 * (status rejected, by "guardrail") so the refusal is in the audit log; `changeId` names it.
 */
export class ChangeRefusedError extends ChangeError {
  readonly findings: readonly RefusalFinding[];
  declare readonly changeId: number;

  constructor(changeId: number, findings: readonly RefusalFinding[]) {
    const refusing = findings.filter((finding) => finding.severity === 'error');
    super('EK_CHANGE_REFUSED', `refused: change ${changeId} breaks ${refusing.length === 1 ? 'a guardrail' : `${refusing.length} guardrails`}: ${refusing.map((finding) => finding.message).join('; ')}`, { changeId });
    this.name = 'ChangeRefusedError';
    this.findings = findings;
  }
}
