/** Stable codes of the errors this room throws. */
export type TelemetryErrorCode = 'EK_TELEMETRY_DELTA_INVALID' | 'EK_TELEMETRY_DELTA_REPLAYED' | 'EK_TELEMETRY_WINDOW_INVALID' | 'EK_TELEMETRY_SAMPLE_INVALID';

/** An error from telemetry/: a misuse by the caller (a bad window) or a delta that must not be merged. */
export class TelemetryError extends Error {
  readonly code: TelemetryErrorCode;

  constructor(code: TelemetryErrorCode, message: string) {
    super(message);
    this.name = 'TelemetryError';
    this.code = code;
  }
}
