import { createHmac } from 'node:crypto';

/** Header with the Unix time in seconds at which the attempt was signed. */
export const TIMESTAMP_HEADER = 'x-evenkeel-timestamp';
/** Header with `sha256=<hex>`, present when the webhook has a `secret`. */
export const SIGNATURE_HEADER = 'x-evenkeel-signature';

/**
 * `sha256=` + hex HMAC-SHA256(secret, timestamp + "." + body), the scheme of Stripe and Slack:
 * signing the timestamp with the body lets a receiver reject a captured request replayed later.
 */
export function signWebhookBody(secret: string, timestampSeconds: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex')}`;
}
