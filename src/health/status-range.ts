import { HealthConfigError } from './errors.js';

// `health.expected_status` is "200" or "200-399" (the schema checks the shape); this turns it into
// two numbers once per config so a probe result is two comparisons.

/** An inclusive range of HTTP status codes counted as a passing check. */
export interface StatusRange {
  readonly min: number;
  readonly max: number;
}

/** Parses "200" or "200-399"; throws HealthConfigError (EK_HEALTH_STATUS_RANGE_INVALID) otherwise. */
export function parseStatusRange(text: string): StatusRange {
  const match = /^(\d{3})(?:-(\d{3}))?$/.exec(text);
  if (match === null) {
    throw new HealthConfigError('EK_HEALTH_STATUS_RANGE_INVALID', `expected_status: expected a status such as "200" or a range such as "200-399", got ${JSON.stringify(text)}`);
  }
  const min = Number(match[1]);
  const max = match[2] === undefined ? min : Number(match[2]);
  if (min < 100 || max > 599 || min > max) {
    throw new HealthConfigError(
      'EK_HEALTH_STATUS_RANGE_INVALID',
      `expected_status: expected a range of HTTP statuses from low to high within 100-599, such as "200-399", got ${JSON.stringify(text)}`,
    );
  }
  return { min, max };
}

/** True when `status` lies in the range. */
export function isExpectedStatus(range: StatusRange, status: number): boolean {
  return status >= range.min && status <= range.max;
}
