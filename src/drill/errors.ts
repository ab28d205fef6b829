// Errors of the drill room, each with a stable code (as undici's UND_ERR_* and Fastify's FST_ERR_*).

export type DrillErrorCode = 'EK_DRILL_INVALID_OPTION' | 'EK_DRILL_NOT_RUNNING' | 'EK_DRILL_LISTEN';

export class DrillError extends Error {
  readonly code: DrillErrorCode;

  constructor(code: DrillErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DrillError';
    this.code = code;
  }
}
