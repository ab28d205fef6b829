import type { AlertTransition } from '../alert.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, signWebhookBody } from './webhook-signature.js';

/** Version of the webhook body; a receiver can refuse versions it does not know. */
export const WEBHOOK_BODY_VERSION = 1;

/**
 * The JSON body POSTed to a webhook for one transition: `{ version, transition: {from, to, at},
 * alert }`. Absent values are null rather than missing, so receivers see one stable shape.
 */
export function webhookBody(transition: AlertTransition): string {
  const { alert } = transition;
  return JSON.stringify({
    version: WEBHOOK_BODY_VERSION,
    transition: { from: transition.from ?? null, to: transition.to, at: transition.at },
    alert: {
      ...alert,
      pool: alert.pool ?? null,
      backend: alert.backend ?? null,
      firingAt: alert.firingAt ?? null,
      resolvedAt: alert.resolvedAt ?? null,
    },
  });
}

/** Headers of one attempt: a fresh timestamp, and the signature when the webhook has a secret. */
export function webhookHeaders(body: string, secret: string | undefined, nowMs: number): Record<string, string> {
  const timestampSeconds = Math.floor(nowMs / 1000);
  const headers: Record<string, string> = { [TIMESTAMP_HEADER]: String(timestampSeconds) };
  if (secret !== undefined) headers[SIGNATURE_HEADER] = signWebhookBody(secret, timestampSeconds, body);
  return headers;
}
