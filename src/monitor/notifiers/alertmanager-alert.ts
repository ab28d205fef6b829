import type { Alert, AlertRule, Evidence } from '../alert.js';

/** One alert in the body of Alertmanager's `POST /api/v2/alerts`. */
export interface AlertmanagerAlert {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly startsAt: string;
  readonly endsAt?: string;
  readonly generatorURL?: string;
}

/**
 * "EvenkeelSkew", "EvenkeelInflightSkew", "EvenkeelTrafficSpike": the alertname of a rule, the same
 * in the alerts evenkeel sends and in the rules `evenkeel export prometheus-rules` writes, so routes
 * and silences work for both.
 */
export function alertNameOf(rule: AlertRule): string {
  return `Evenkeel${rule
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('')}`;
}

/**
 * Labels identify the alert (Alertmanager deduplicates and groups by them): alertname, rule,
 * severity, instance (the node), and pool and backend when the alert has them. Annotations carry
 * the diagnosis and are replaced by each send, so a resend shows the latest numbers and actions.
 */
export function toAlertmanagerAlert(alert: Alert, instance: string, endsAtMs: number, generatorUrl?: string): AlertmanagerAlert {
  const labels: Record<string, string> = {
    alertname: alertNameOf(alert.rule),
    rule: alert.rule,
    severity: alert.severity,
    instance,
  };
  if (alert.pool !== undefined) labels.pool = alert.pool;
  if (alert.backend !== undefined) labels.backend = alert.backend;

  const annotations: Record<string, string> = { summary: alert.summary, description: alertmanagerDescription(alert) };
  if (alert.causes.length > 0) annotations.likely_cause = alert.causes[0].summary;
  if (alert.actions.length > 0) annotations.action = alert.actions.map((action) => action.summary).join('; ');
  if (alert.backends.length > 0) annotations.backends = alert.backends.join(', ');

  return {
    labels,
    annotations,
    startsAt: new Date(alert.firingAt ?? alert.startedAt).toISOString(),
    endsAt: new Date(endsAtMs).toISOString(),
    ...(generatorUrl === undefined ? {} : { generatorURL: generatorUrl }),
  };
}

/** The summary, then the evidence, the ranked likely causes and what the node did, one per line. */
export function alertmanagerDescription(alert: Alert): string {
  const lines = [alert.summary];
  const evidence = formatEvidence(alert.evidence);
  if (evidence !== '') lines.push(`Evidence: ${evidence}.`);
  if (alert.causes.length > 0) {
    lines.push('Likely causes:');
    alert.causes.forEach((cause, index) => lines.push(`${index + 1}. ${cause.summary} (score ${cause.score.toFixed(2)})`));
  }
  for (const action of alert.actions) lines.push(`Action taken: ${action.summary}`);
  return lines.join('\n');
}

function formatEvidence(evidence: Evidence): string {
  return Object.entries(evidence)
    .map(([name, value]) => `${name}=${typeof value === 'number' ? formatNumber(value) : value}`)
    .join(', ');
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
}
