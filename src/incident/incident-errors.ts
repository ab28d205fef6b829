// Errors of incident records. Each carries a stable code the admin API and the CLI print, and the
// HTTP status the admin API answers it with.

export type IncidentErrorCode = 'EK_INCIDENT_NOT_FOUND' | 'EK_INCIDENT_INVALID' | 'EK_INCIDENT_STATE';

/** The HTTP status the admin API answers each incident error with. */
export const INCIDENT_ERROR_STATUS: Readonly<Record<IncidentErrorCode, number>> = {
  EK_INCIDENT_NOT_FOUND: 404,
  EK_INCIDENT_INVALID: 400,
  EK_INCIDENT_STATE: 409,
};

/** An incident cannot be found, queried or marked as asked. */
export class IncidentError extends Error {
  readonly code: IncidentErrorCode;
  /** HTTP status for the admin API (INCIDENT_ERROR_STATUS). */
  readonly statusCode: number;

  constructor(code: IncidentErrorCode, message: string) {
    super(message);
    this.name = 'IncidentError';
    this.code = code;
    this.statusCode = INCIDENT_ERROR_STATUS[code];
  }
}
