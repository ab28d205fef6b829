export type SimulationErrorCode = 'EK_SIMULATION_RATIO_INVALID' | 'EK_SIMULATION_CONCURRENCY_INVALID';

/** Options an impact simulation cannot run with (a caller's mistake, not bad traffic). */
export class SimulationError extends Error {
  readonly code: SimulationErrorCode;

  constructor(code: SimulationErrorCode, message: string) {
    super(message);
    this.name = 'SimulationError';
    this.code = code;
  }
}
