import { hostname } from 'node:os';
import pino from 'pino';
import { Agent } from 'undici';
import type { AlertmanagerConfig, MonitorConfig, WebhookConfig } from '../../config/index.js';
import type { Alert, AlertTransition } from '../alert.js';
import { toAlertmanagerAlert } from './alertmanager-alert.js';
import type { DeliveryError } from './delivery-error.js';
import { OrderedQueues } from './ordered-queues.js';
import { postJson } from './post-json.js';
import { sendWithRetries, type RetryPolicy } from './retry-backoff.js';
import { webhookBody, webhookHeaders } from './webhook-notification.js';

/** Where delivery failures go; pino's logger fits. */
export interface DeliveryLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface AlertDeliveryOptions {
  /** The live config's monitor section, read at every delivery (a reload shows at once). */
  config: () => MonitorConfig;
  logger?: DeliveryLogger;
  now?: () => number;
  /** The `instance` label of alerts sent to Alertmanager: which node saw it. Default: the host name. */
  instance?: string;
  /** Alertmanager's generatorURL: a link back to the alert on this node, when there is one. */
  generatorUrl?: (alert: Alert) => string | undefined;
  /** Delay before the first retry (then doubling); 1000 in production, shorter in tests. */
  retryBaseDelayMs?: number;
  retryMaxDelayMs?: number;
  /** How long close() waits for queued notifications before abandoning them. */
  closeTimeoutMs?: number;
  random?: () => number;
}

const DEFAULT_RETRY_BASE_DELAY_MS = 1000;
const DEFAULT_RETRY_MAX_DELAY_MS = 30_000;
const DEFAULT_CLOSE_TIMEOUT_MS = 5000;
/** Bounds memory while a receiver is down during an alert storm; what does not fit is logged. */
const MAX_PENDING_NOTIFICATIONS = 1000;
/** A firing or resolved transition to Alertmanager; a resend is tried once (the next one follows). */
const ALERTMANAGER_TRANSITION_ATTEMPTS = 3;
/**
 * Firing alerts carry endsAt = now + 4 × resend, as Prometheus does: if this node stops sending
 * (it died), Alertmanager resolves them on its own after four missed resends instead of never.
 */
const RESENDS_BEFORE_EXPIRY = 4;

/**
 * Delivers alert transitions to the configured webhooks and Alertmanagers. Nothing here blocks or
 * throws at the monitor: notifications are queued (in order per alert and receiver), retried with
 * exponential backoff, and failures are logged with the URL and the reason.
 */
export class AlertDelivery {
  readonly #config: () => MonitorConfig;
  readonly #logger: DeliveryLogger;
  readonly #now: () => number;
  readonly #instance: string;
  readonly #generatorUrl: (alert: Alert) => string | undefined;
  readonly #retryBaseDelayMs: number;
  readonly #retryMaxDelayMs: number;
  readonly #closeTimeoutMs: number;
  readonly #random: () => number;
  readonly #queues = new OrderedQueues(MAX_PENDING_NOTIFICATIONS);
  readonly #shutdown = new AbortController();
  readonly #agent = new Agent({ keepAliveTimeout: 10_000 });
  /** Per Alertmanager URL: when each firing alert was last sent there, by fingerprint. */
  readonly #lastSentAt = new Map<string, Map<string, number>>();
  /** Alertmanager URLs with a resend queued that has not started yet (so a down one is not flooded). */
  readonly #resendQueued = new Set<string>();
  #isClosed = false;

  constructor(options: AlertDeliveryOptions) {
    this.#config = options.config;
    this.#logger = options.logger ?? pino({ name: 'evenkeel', base: { component: 'alert-delivery' } }, pino.destination({ fd: 2, sync: true }));
    this.#now = options.now ?? Date.now;
    this.#instance = options.instance ?? hostname();
    this.#generatorUrl = options.generatorUrl ?? (() => undefined);
    this.#retryBaseDelayMs = options.retryBaseDelayMs ?? DEFAULT_RETRY_BASE_DELAY_MS;
    this.#retryMaxDelayMs = options.retryMaxDelayMs ?? DEFAULT_RETRY_MAX_DELAY_MS;
    this.#closeTimeoutMs = options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
    this.#random = options.random ?? Math.random;
  }

  /** Queues the transition for every receiver that wants it; returns at once. */
  deliver(transition: AlertTransition): void {
    if (this.#isClosed) {
      this.#logger.warn({ fingerprint: transition.alert.fingerprint, to: transition.to }, 'alert delivery is closed; notification dropped');
      return;
    }
    const config = this.#config();
    for (const webhook of config.webhooks) {
      if (transition.to === 'resolved' && !webhook.send_resolved) continue;
      this.#deliverToWebhook(webhook, transition);
    }
    for (const alertmanager of config.alertmanagers) this.#deliverToAlertmanager(alertmanager, transition);
  }

  /**
   * Called every tick with the unresolved alerts: sends the firing ones again to each Alertmanager
   * whose `resend` interval has passed for them, because Alertmanager resolves what it stops hearing.
   */
  resend(firing: readonly Alert[]): void {
    if (this.#isClosed) return;
    const nowMs = this.#now();
    const stillFiring = firing.filter((alert) => alert.state === 'firing');
    const fingerprints = new Set(stillFiring.map((alert) => alert.fingerprint));
    const configured = new Set<string>();
    for (const alertmanager of this.#config().alertmanagers) {
      configured.add(alertmanager.url);
      const sentAt = this.#sentAtOf(alertmanager.url);
      for (const fingerprint of sentAt.keys()) if (!fingerprints.has(fingerprint)) sentAt.delete(fingerprint);
      if (this.#resendQueued.has(alertmanager.url)) continue;
      const due = stillFiring.filter((alert) => nowMs - (sentAt.get(alert.fingerprint) ?? -Infinity) >= alertmanager.resend);
      if (due.length === 0) continue;
      for (const alert of due) sentAt.set(alert.fingerprint, nowMs);
      this.#resendQueued.add(alertmanager.url);
      const endsAtMs = nowMs + RESENDS_BEFORE_EXPIRY * alertmanager.resend;
      const queued = this.#queues.enqueue(`alertmanager ${alertmanager.url}`, () => {
        this.#resendQueued.delete(alertmanager.url);
        const body = due.map((alert) => toAlertmanagerAlert(alert, this.#instance, endsAtMs, this.#generatorUrl(alert)));
        return this.#send(alertmanager.url, alertsUrlOf(alertmanager), JSON.stringify(body), null, alertmanager.timeout, 1, { resent: due.length });
      });
      if (!queued) {
        this.#resendQueued.delete(alertmanager.url);
        this.#logFull(alertmanager.url, 'resend');
      }
    }
    for (const url of this.#lastSentAt.keys()) if (!configured.has(url)) this.#lastSentAt.delete(url);
  }

  /** Waits for queued notifications (retries included) up to the close timeout, then abandons the rest. */
  async close(): Promise<void> {
    this.#isClosed = true;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.#closeTimeoutMs);
    });
    const outcome = await Promise.race([this.#queues.idle().then(() => 'idle' as const), deadline]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.#logger.error({ pending: this.#queues.pending, closeTimeoutMs: this.#closeTimeoutMs }, 'alert delivery: notifications still pending at shutdown are abandoned');
      this.#shutdown.abort();
      await this.#queues.idle();
    }
    await this.#agent.destroy();
  }

  #deliverToWebhook(webhook: WebhookConfig, transition: AlertTransition): void {
    const { fingerprint } = transition.alert;
    const body = webhookBody(transition);
    const queued = this.#queues.enqueue(`webhook ${webhook.url} ${fingerprint}`, () =>
      this.#send(webhook.url, webhook.url, body, webhook.secret, webhook.timeout, webhook.max_attempts, { fingerprint, to: transition.to }),
    );
    if (!queued) this.#logFull(webhook.url, fingerprint);
  }

  #deliverToAlertmanager(alertmanager: AlertmanagerConfig, transition: AlertTransition): void {
    const { alert } = transition;
    // Pending alerts are not sent: Alertmanager would page on them, and most never fire.
    const isFiring = transition.to === 'firing';
    const isEnd = transition.to === 'resolved' && transition.from === 'firing';
    if (!isFiring && !isEnd) return;
    const sentAt = this.#sentAtOf(alertmanager.url);
    const nowMs = this.#now();
    if (isFiring) sentAt.set(alert.fingerprint, nowMs);
    else sentAt.delete(alert.fingerprint);
    // A resolution is sent once with endsAt in the past (when it resolved): Alertmanager resolves it.
    const endsAtMs = isFiring ? nowMs + RESENDS_BEFORE_EXPIRY * alertmanager.resend : (alert.resolvedAt ?? transition.at);
    const body = JSON.stringify([toAlertmanagerAlert(alert, this.#instance, endsAtMs, this.#generatorUrl(alert))]);
    const queued = this.#queues.enqueue(`alertmanager ${alertmanager.url}`, () =>
      this.#send(alertmanager.url, alertsUrlOf(alertmanager), body, null, alertmanager.timeout, ALERTMANAGER_TRANSITION_ATTEMPTS, {
        fingerprint: alert.fingerprint,
        to: transition.to,
      }),
    );
    if (!queued) this.#logFull(alertmanager.url, alert.fingerprint);
  }

  /** One notification with its retries; logs and never rejects. `secret` null: not a webhook (no signature headers). */
  async #send(configuredUrl: string, url: string, body: string, secret: string | null | undefined, timeoutMs: number, maxAttempts: number, about: object): Promise<void> {
    const receiver = loggableUrl(configuredUrl);
    const policy: RetryPolicy = { maxAttempts, baseDelayMs: this.#retryBaseDelayMs, maxDelayMs: this.#retryMaxDelayMs, random: this.#random };
    try {
      await sendWithRetries(
        (signal) => postJson(this.#agent, url, body, secret === null ? {} : webhookHeaders(body, secret, this.#now()), timeoutMs, signal),
        policy,
        this.#shutdown.signal,
        (error, attempt, delayMs) =>
          this.#logger.warn({ ...about, url: receiver, code: error.code, reason: error.message, attempt, retryInMs: delayMs }, `alert delivery to ${receiver} failed (${error.message}); retrying`),
      );
    } catch (error) {
      const failure = error as DeliveryError;
      this.#logger.error(
        { ...about, url: receiver, code: failure.code, reason: failure.message, status: failure.status },
        `alert delivery to ${receiver} failed: ${failure.message}; ${failure.isRetryable ? `gave up after ${maxAttempts} attempt(s)` : 'not retried'}`,
      );
    }
  }

  #sentAtOf(url: string): Map<string, number> {
    let sentAt = this.#lastSentAt.get(url);
    if (sentAt === undefined) {
      sentAt = new Map();
      this.#lastSentAt.set(url, sentAt);
    }
    return sentAt;
  }

  #logFull(url: string, what: string): void {
    const receiver = loggableUrl(url);
    this.#logger.error({ url: receiver, about: what, pending: this.#queues.pending }, `alert delivery queue is full (${MAX_PENDING_NOTIFICATIONS} pending); notification to ${receiver} dropped`);
  }
}

/** The URL as logs may show it: without user:password@ and without a query string, which can hold tokens. */
function loggableUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

function alertsUrlOf(alertmanager: AlertmanagerConfig): string {
  return `${alertmanager.url.replace(/\/+$/, '')}/api/v2/alerts`;
}
