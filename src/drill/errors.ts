// Errors of the drill room, each with a stable code (as undici's UND_ERR_* and Fastify's FST_ERR_*).

export type DrillErrorCode =
  | 'EK_DRILL_INVALID_OPTION'
  | 'EK_DRILL_NOT_RUNNING'
  | 'EK_DRILL_LISTEN'
  /** A scenario file that is not valid; the message lists file:line:column field: problem. */
  | 'EK_DRILL_SCENARIO_INVALID'
  | 'EK_DRILL_SCENARIO_UNREADABLE'
  /** A name that is neither a built-in scenario nor a file. */
  | 'EK_DRILL_SCENARIO_NOT_FOUND'
  /** The drill's node did not start or its admin API failed. */
  | 'EK_DRILL_NODE'
  | 'EK_DRILL_ABORTED';

export class DrillError extends Error {
  readonly code: DrillErrorCode;

  constructor(code: DrillErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DrillError';
    this.code = code;
  }
}
