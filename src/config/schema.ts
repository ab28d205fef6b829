import { z } from 'zod';
import { duration, listenAddress, size } from './units.js';

// The single source of truth for evenkeel.yaml: TypeScript types are inferred from these schemas,
// the JSON Schema for editors is generated from them, and docs/configuration.md describes them.
// Objects are strict: an unknown key is an error (with a did-you-mean from the loader).

const weight = z
  .number({ error: (issue) => `expected a whole number from 0 to 10000, got ${JSON.stringify(issue.input)}` })
  .int({ error: (issue) => `expected a whole number from 0 to 10000, got ${JSON.stringify(issue.input)}` })
  .min(0, { error: (issue) => `expected a whole number from 0 to 10000, got ${JSON.stringify(issue.input)}` })
  .max(10_000, { error: (issue) => `expected a whole number from 0 to 10000, got ${JSON.stringify(issue.input)}` });

const boundFactor = z
  .number({ error: 'expected a load bound factor c > 1, such as 1.25' })
  .gt(1, { error: (issue) => `expected a load bound factor greater than 1 (1.25 is the usual choice), got ${JSON.stringify(issue.input)}` })
  .max(10, { error: (issue) => `expected a load bound factor of at most 10, got ${JSON.stringify(issue.input)}` });

const share = z
  .number({ error: 'expected a share from 0 to 1' })
  .min(0, { error: (issue) => `expected a share from 0 to 1, got ${JSON.stringify(issue.input)}` })
  .max(1, { error: (issue) => `expected a share from 0 to 1, got ${JSON.stringify(issue.input)}` });

const positiveInt = (what: string) =>
  z.number({ error: `expected ${what}` }).int({ error: `expected ${what}` }).positive({ error: (issue) => `expected ${what}, got ${JSON.stringify(issue.input)}` });

export const backendSchema = z.strictObject({
  /** Stable identifier, unique across the whole config; used in metrics, cookies and alerts. */
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, { error: (issue) => `expected an id of letters, digits, "_", "." or "-" (at most 64), got ${JSON.stringify(issue.input)}` }),
  url: z.string({ error: 'expected a URL such as "http://10.0.0.11:8000"' }),
  weight: weight.default(100),
  /** Maximum requests in flight to this backend; 0 means no limit. Overrides the pool's max_inflight. */
  max_inflight: z.number().int().nonnegative().optional(),
  /** A draining backend takes no new requests (sticky or not); in-flight ones finish. */
  drain: z.boolean().default(false),
});

export const hashKeySchema = z.enum(['header', 'cookie', 'source_ip', 'path']);

export const hashSchema = z.strictObject({
  by: hashKeySchema.default('source_ip'),
  /** Header or cookie name, when `by` is header or cookie. */
  name: z.string().optional(),
  table: z.enum(['maglev', 'ring']).default('maglev'),
  /** Bounded loads (Mirrokni et al.): no backend takes more than ceil(bound × average in-flight). */
  bound: boundFactor.default(1.25),
});

export const persistenceSchema = z.strictObject({
  by: z.enum(['none', 'cookie', 'header', 'source_ip']).default('none'),
  /** Cookie name (by: cookie) or header name (by: header). */
  name: z.string().optional(),
  ttl: duration().prefault('30m'),
  /** Load bound factor c; persistence never sends a backend more than ceil(c × average in-flight). */
  bound: boundFactor.default(1.25),
});

export const healthSchema = z.strictObject({
  /** Active checks are off when no path is set. */
  path: z.string().startsWith('/', { error: 'expected a path starting with "/", such as "/healthz"' }).optional(),
  interval: duration().prefault('2s'),
  timeout: duration().prefault('1s'),
  rise: positiveInt('a whole number of checks, at least 1').default(2),
  fall: positiveInt('a whole number of checks, at least 1').default(3),
  /** Status range counted as healthy, "200-399" or a single code. */
  expected_status: z.string().regex(/^\d{3}(-\d{3})?$/, { error: 'expected a status such as "200" or a range such as "200-399"' }).default('200-399'),
  host: z.string().optional(),
});

export const outlierSchema = z.strictObject({
  /** Consecutive 5xx responses or connection failures that eject a backend; 0 turns ejection off. */
  consecutive_failures: z.number().int().nonnegative().default(5),
  /** First ejection lasts this long; each repeated ejection multiplies it, up to max_ejection. */
  base_ejection: duration().prefault('30s'),
  max_ejection: duration().prefault('5m'),
  /** Never eject more than this share of a pool at once. */
  max_ejected_share: share.default(0.5),
});

export const poolSchema = z.strictObject({
  algorithm: z.enum(['round-robin', 'least-inflight', 'p2c', 'random', 'hash']).default('round-robin'),
  hash: hashSchema.optional(),
  persistence: persistenceSchema.prefault({}),
  health: healthSchema.prefault({}),
  outlier: outlierSchema.prefault({}),
  /** A recovered or added backend's effective weight ramps up over this window; "0s" turns it off. */
  slow_start: duration().prefault('30s'),
  /** Below this share of healthy backends the pool panics and uses all of them. 0 turns panic off. */
  panic_threshold: share.default(0.5),
  /** Maximum requests in flight per backend; 0 means no limit. */
  max_inflight: z.number().int().nonnegative().default(0),
  queue: z
    .strictObject({
      /** Requests that may wait for a backend slot when every candidate is at max_inflight. */
      size: z.number().int().nonnegative().default(100),
      timeout: duration().prefault('5s'),
    })
    .prefault({}),
  /** Retry an idempotent request once on another backend when the connection fails before any response byte. */
  retry: z.strictObject({ attempts: z.number().int().min(0).max(3).default(1) }).prefault({}),
  backends: z.array(backendSchema).min(1, { error: 'expected at least one backend' }),
});

export const routeSchema = z.strictObject({
  match: z
    .strictObject({
      /** Exact host, or "*.example.com" for any subdomain. The port is ignored. */
      host: z.string().optional(),
      path_prefix: z.string().startsWith('/', { error: 'expected a path prefix starting with "/"' }).optional(),
      /** Every listed header must be present with exactly this value. */
      headers: z.record(z.string(), z.string()).optional(),
    })
    .prefault({}),
  pool: z.string(),
});

export const httpsListenerSchema = z.strictObject({
  address: listenAddress(),
  cert: z.string({ error: 'expected the path of a PEM certificate file' }),
  key: z.string({ error: 'expected the path of a PEM private key file' }),
});

export const demoUpstreamSchema = z.strictObject({
  port: z.number().int().min(1).max(65_535),
  /** Added to every response, to make the demo look like real servers. */
  latency: duration().prefault('2ms'),
  /** Share of responses that are 500, for demonstrations of outlier detection. */
  error_rate: share.default(0),
});

export const configSchema = z.strictObject({
  listen: z
    .strictObject({
      http: listenAddress().optional(),
      https: httpsListenerSchema.optional(),
    })
    .prefault({ http: '0.0.0.0:8080' }),
  admin: z.strictObject({ listen: listenAddress().default('127.0.0.1:9090') }).prefault({}),
  store: z.strictObject({ url: z.string().default('sqlite://./data/evenkeel.db') }).prefault({}),
  /** Worker processes sharing the listening port; "auto" is one per core. */
  workers: z.union([z.number().int().min(1).max(256), z.literal('auto')]).default(1),
  proxy: z
    .strictObject({
      timeouts: z
        .strictObject({
          connect: duration().prefault('5s'),
          response_headers: duration().prefault('60s'),
          /** Longest silence between two chunks of a body, either way. */
          idle: duration().prefault('60s'),
          /** Whole request, from accept to last response byte; "0s" means no limit. */
          request: duration().prefault('0s'),
        })
        .prefault({}),
      max_body_size: size().prefault('10mb'),
      /** Peers whose X-Forwarded-* headers are kept and appended to; others' are replaced. */
      trusted_proxies: z.array(z.string()).default([]),
      /** How long SIGTERM waits for in-flight requests. */
      drain_timeout: duration().prefault('15s'),
      /** Secret for signing persistence cookies; defaults to $EVENKEEL_COOKIE_SECRET, else a random one per start. */
      cookie_secret: z.string().min(16, { error: 'expected a cookie secret of at least 16 characters' }).optional(),
      /** Structured JSON access log on standard output. */
      access_log: z.boolean().default(false),
    })
    .prefault({}),
  pools: z.record(z.string().regex(/^[A-Za-z0-9_-]+$/, { error: 'expected a pool name of letters, digits, "_" or "-"' }), poolSchema),
  routes: z.array(routeSchema).default([]),
  /**
   * DEMO ONLY: upstreams that evenkeel starts in its own process so that `npm start` needs nothing else.
   * Never use this section in front of real servers.
   */
  demo: z.strictObject({ upstreams: z.array(demoUpstreamSchema).min(1) }).optional(),
});

/** The config as written in YAML (before defaults). */
export type ConfigInput = z.input<typeof configSchema>;
/** The config with every default filled in and every duration in milliseconds. */
export type Config = z.output<typeof configSchema>;
export type PoolConfig = Config['pools'][string];
export type BackendConfig = PoolConfig['backends'][number];
export type RouteConfig = Config['routes'][number];
export type HealthConfig = PoolConfig['health'];
export type OutlierConfig = PoolConfig['outlier'];
export type PersistenceConfig = PoolConfig['persistence'];
export type HashConfig = z.output<typeof hashSchema>;
export type ProxyConfig = Config['proxy'];
