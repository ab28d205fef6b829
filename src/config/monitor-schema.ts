import { z } from 'zod';
import { duration } from './units.js';

// The `monitor:` section: the rules the node evaluates every second on its telemetry windows, their
// thresholds, and where alerts are delivered. src/monitor enforces it; docs/monitoring.md explains
// every rule and docs/configuration.md lists every key. Defaults are tuned so that the postmortem's
// skew (2 of 5 backends carrying 80%) fires within seconds at 200 rps while healthy sticky traffic
// stays quiet (bench/detect.js measures both).

const fraction = (what: string) =>
  z
    .number({ error: `expected ${what}, a number from 0 to 1` })
    .min(0, { error: (issue) => `expected ${what} from 0 to 1, got ${JSON.stringify(issue.input)}` })
    .max(1, { error: (issue) => `expected ${what} from 0 to 1, got ${JSON.stringify(issue.input)}` });

const aboveOne = (example: string) =>
  z
    .number({ error: `expected a ratio above 1, such as ${example}` })
    .gt(1, { error: (issue) => `expected a ratio above 1, such as ${example}, got ${JSON.stringify(issue.input)}` })
    .max(1000, { error: (issue) => `expected a ratio of at most 1000, got ${JSON.stringify(issue.input)}` });

const count = (what: string) =>
  z.number({ error: `expected ${what}` }).int({ error: `expected ${what}` }).nonnegative({ error: (issue) => `expected ${what}, got ${JSON.stringify(issue.input)}` });

const milliseconds = (what: string) =>
  z.number({ error: `expected ${what} in milliseconds` }).positive({ error: (issue) => `expected ${what} in milliseconds above 0, got ${JSON.stringify(issue.input)}` });

const significance = z
  .number({ error: 'expected a significance level such as 0.001' })
  .gt(0, { error: (issue) => `expected a significance level above 0, such as 0.001, got ${JSON.stringify(issue.input)}` })
  .max(0.1, { error: (issue) => `expected a significance level of at most 0.1 (0.001 is the usual choice), got ${JSON.stringify(issue.input)}` });

export const skewRuleSchema = z.strictObject({
  window: duration().prefault('30s').describe('Requests of the last window are compared with the expected shares.'),
  min_requests: count('a whole number of requests').default(200).describe('The pool needs at least this many requests in the window before skew is judged.'),
  alpha: significance.default(0.001).describe('Significance of the G-test (a sample-ratio-mismatch check): the expected shares are rejected when p < alpha.'),
  max_share_ratio: aboveOne('1.5').default(1.5).describe("Effect floor: some backend's observed share must exceed its expected share by more than this factor..."),
  top_fraction: fraction('a share of backends').default(0.4).describe('...or the busiest top_fraction of backends (rounded up)...'),
  max_top_share: fraction('a share of requests').default(0.6).describe('...must carry more than this share of requests while expected to carry less.'),
  inflight_ratio: aboveOne('2').default(2).describe("In-flight skew: a backend's average in-flight requests above this factor of its expected share of the pool's in-flight requests."),
  min_inflight: count('a whole number of requests').default(20).describe("In-flight skew is judged only when the pool averages at least this many requests in flight."),
  for: duration().prefault('3s').describe('The condition must hold this long before the alert fires.'),
});

export const latencyRuleSchema = z.strictObject({
  window: duration().prefault('30s').describe('Latency is estimated over this window.'),
  min_requests: count('a whole number of requests').default(50).describe('A backend or pool needs this many requests in the window to be judged.'),
  p95_ms: milliseconds('a latency').default(500).describe('Fire when the p95 of a backend or pool is above this.'),
  p99_ms: milliseconds('a latency').default(1000).describe('Fire when the p99 of a backend or pool is above this.'),
  relative_ratio: aboveOne('3').default(3).describe("Relative latency: a backend's p95 above this factor of the median p95 of its peers..."),
  relative_min_ms: milliseconds('a latency').default(50).describe('...and above this absolute value (so 1 ms against 0.3 ms is not an alert).'),
  for: duration().prefault('10s').describe('The condition must hold this long before the alert fires.'),
});

export const errorRuleSchema = z.strictObject({
  window: duration().prefault('30s').describe('Errors are counted over this window.'),
  min_requests: count('a whole number of requests').default(50).describe('A backend or pool needs this many requests in the window to be judged.'),
  max_error_rate: fraction('a share of requests').default(0.05).describe('Fire when 5xx responses and upstream failures exceed this share of requests, per backend or pool.'),
  for: duration().prefault('10s').describe('The condition must hold this long before the alert fires.'),
});

export const capacityRuleSchema = z.strictObject({
  min_healthy_backends: count('a whole number of backends').default(2).describe('Fire when fewer backends of a pool are healthy and in service.'),
  min_healthy_weight_share: fraction('a share of weight').default(0.5).describe("Fire when healthy backends hold less than this share of the pool's configured weight."),
  for: duration().prefault('5s').describe('The condition must hold this long before the alert fires.'),
});

export const flappingRuleSchema = z.strictObject({
  window: duration().prefault('5m').describe('Falls of a backend are counted over this window.'),
  max_downs: z
    .number({ error: 'expected a whole number of health failures, 2 or more' })
    .int({ error: 'expected a whole number of health failures, 2 or more' })
    .min(2, { error: (issue) => `expected a whole number of health failures, 2 or more (one failure is not flapping), got ${JSON.stringify(issue.input)}` })
    .default(3)
    .describe('Fire when a backend fell this many times in the window: active checks declared it down, or an outlier ejection began while they passed.'),
  for: duration().prefault('0s').describe('The condition must hold this long before the alert fires (the count over the window already spans time).'),
});

export const trafficRuleSchema = z.strictObject({
  window: duration().prefault('10s').describe('The current request rate is the average over this window.'),
  baseline_half_life: duration().prefault('10m').describe('Half-life of the exponentially weighted moving average that is the baseline rate.'),
  warmup: duration().prefault('60s').describe('No traffic alert until the baseline has learnt this long.'),
  spike_ratio: aboveOne('2').default(2).describe('Fire "spike" when the rate is above this factor of the baseline.'),
  drop_ratio: fraction('a ratio').default(0.5).describe('Fire "drop" when the rate is below this factor of the baseline.'),
  min_rps: z.number({ error: 'expected requests per second' }).nonnegative().default(5).describe('Baselines below this rate are too small to judge.'),
  for: duration().prefault('10s').describe('The condition must hold this long before the alert fires.'),
});

export const persistenceRuleSchema = z.strictObject({
  window: duration().prefault('60s').describe('Pinning and key concentration are measured over this window.'),
  min_requests: count('a whole number of requests').default(200).describe('The pool needs this many requests in the window to be judged.'),
  top_keys: count('a whole number of keys').default(5).describe('How many of the busiest persistence keys make up the "top keys".'),
  max_top_keys_share: fraction('a share of requests').default(0.5).describe('Fire when the top keys carry more than this share of the pool\'s requests.'),
  for: duration().prefault('30s').describe('The condition must hold this long before the alert fires.'),
});

export const webhookSchema = z.strictObject({
  url: z.url({ error: 'expected an http:// or https:// URL' }).describe('Receives a JSON POST for every alert transition.'),
  secret: z.string().min(16, { error: 'expected a webhook secret of at least 16 characters' }).optional()
    .describe('Signs each body: header X-Evenkeel-Signature: sha256=HMAC-SHA256(secret, timestamp + "." + body), with X-Evenkeel-Timestamp.'),
  timeout: duration().prefault('5s').describe('One delivery attempt gives up after this.'),
  max_attempts: z.number().int().min(1).max(20).default(5).describe('Attempts per notification, with exponential backoff from 1s.'),
  send_resolved: z.boolean().default(true).describe('Also notify when an alert resolves.'),
});

export const alertmanagerSchema = z.strictObject({
  url: z.url({ error: 'expected the base URL of an Alertmanager, such as "http://127.0.0.1:9093"' }).describe('Base URL; evenkeel POSTs to URL/api/v2/alerts.'),
  resend: duration().prefault('30s').describe('Firing alerts are sent again this often, as Alertmanager expects.'),
  timeout: duration().prefault('5s').describe('One delivery attempt gives up after this.'),
});

export const monitorSchema = z.strictObject({
  enabled: z.boolean().default(true).describe('Evaluate the rules; false turns monitoring, alerts and automatic rollback off.'),
  interval: duration().prefault('1s').describe('Rules are evaluated this often.'),
  skew: skewRuleSchema.prefault({}).describe('Distribution skew per pool: observed shares of requests and in-flight load against expected shares.'),
  latency: latencyRuleSchema.prefault({}).describe('Latency per backend and pool, absolute and relative to peers.'),
  errors: errorRuleSchema.prefault({}).describe('5xx responses and upstream failures per backend and pool.'),
  capacity: capacityRuleSchema.prefault({}).describe('Healthy backends and healthy weight per pool.'),
  flapping: flappingRuleSchema.prefault({}).describe('A backend that keeps failing and recovering: health failures per backend over a window.'),
  traffic: trafficRuleSchema.prefault({}).describe('Total request rate against its own baseline: a spike or a drop, told apart from a skew.'),
  persistence: persistenceRuleSchema.prefault({}).describe('Persistence concentration: the share of requests carried by the busiest keys.'),
  webhooks: z.array(webhookSchema).default([]).describe('Generic webhooks that receive alert transitions.'),
  alertmanagers: z.array(alertmanagerSchema).default([]).describe("Prometheus Alertmanagers that receive alerts through their v2 API."),
});

export type MonitorConfig = z.output<typeof monitorSchema>;
export type SkewRuleConfig = MonitorConfig['skew'];
export type LatencyRuleConfig = MonitorConfig['latency'];
export type ErrorRuleConfig = MonitorConfig['errors'];
export type CapacityRuleConfig = MonitorConfig['capacity'];
export type FlappingRuleConfig = MonitorConfig['flapping'];
export type TrafficRuleConfig = MonitorConfig['traffic'];
export type PersistenceRuleConfig = MonitorConfig['persistence'];
export type WebhookConfig = MonitorConfig['webhooks'][number];
export type AlertmanagerConfig = MonitorConfig['alertmanagers'][number];
