/** Stable codes of admin API errors; HTTP error bodies carry the same code. */
export type AdminErrorCode =
  | 'EK_ADMIN_LISTEN_FAILED'
  | 'EK_ADMIN_NOT_FOUND'
  | 'EK_ADMIN_BAD_REQUEST'
  | 'EK_ADMIN_INTERNAL'
  | 'EK_AUTH_REQUIRED'
  | 'EK_AUTH_INVALID'
  | 'EK_AUTH_FORBIDDEN';

/** The HTTP status each admin error is answered with (EK_ADMIN_LISTEN_FAILED never reaches a client). */
export const ADMIN_ERROR_STATUS: Readonly<Record<AdminErrorCode, number>> = {
  EK_ADMIN_LISTEN_FAILED: 500,
  EK_ADMIN_NOT_FOUND: 404,
  EK_ADMIN_BAD_REQUEST: 400,
  EK_ADMIN_INTERNAL: 500,
  EK_AUTH_REQUIRED: 401,
  EK_AUTH_INVALID: 401,
  EK_AUTH_FORBIDDEN: 403,
};

export class AdminError extends Error {
  readonly code: AdminErrorCode;
  readonly statusCode: number;

  constructor(code: AdminErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AdminError';
    this.code = code;
    this.statusCode = ADMIN_ERROR_STATUS[code];
  }
}
