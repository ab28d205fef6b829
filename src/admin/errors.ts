/** Stable codes of admin API errors; HTTP error bodies carry the same code. */
export type AdminErrorCode = 'EK_ADMIN_LISTEN_FAILED' | 'EK_ADMIN_NOT_FOUND' | 'EK_ADMIN_BAD_REQUEST' | 'EK_ADMIN_INTERNAL';

export class AdminError extends Error {
  readonly code: AdminErrorCode;

  constructor(code: AdminErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AdminError';
    this.code = code;
  }
}
