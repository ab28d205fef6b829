import type { ConfigKind, SourcePosition } from './model.js';

// What the audit reports. Severities follow SARIF's levels (error, warning, note) so the SARIF
// output and `--fail-on` speak the same words.

export const SEVERITIES = ['error', 'warning', 'note'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface AuditFinding {
  /** Stable rule id, "EK101"; documented in docs/audit-rules.md#ek101. */
  readonly ruleId: string;
  readonly severity: Severity;
  /** Names the offending values: "backend app: `balance source` pins every client behind one NAT address to one server". */
  readonly message: string;
  /** One line: what to write instead. */
  readonly hint: string;
  readonly kind: ConfigKind;
  readonly at: SourcePosition;
}

/** True when `severity` is at or above `threshold` (error > warning > note). */
export function isAtLeast(severity: Severity, threshold: Severity): boolean {
  return SEVERITIES.indexOf(severity) <= SEVERITIES.indexOf(threshold);
}
