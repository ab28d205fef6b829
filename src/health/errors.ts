// Errors of the health/ room. Each carries a stable code that logs and docs refer to.

export type HealthErrorCode = 'EK_HEALTH_STATUS_RANGE_INVALID';

/** A health setting that passed the schema but cannot be used, such as a status range "399-200". */
export class HealthConfigError extends Error {
  readonly code: HealthErrorCode;

  constructor(code: HealthErrorCode, message: string) {
    super(message);
    this.name = 'HealthConfigError';
    this.code = code;
  }
}
