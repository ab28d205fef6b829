import { z } from 'zod';
import { backendUrl } from './backend-url.js';
import { duration, listenAddress, size } from './units.js';
import { policySchema } from './policy-schema.js';
import { monitorSchema } from './monitor-schema.js';

// The single source of truth for evenkeel.yaml: TypeScript types are inferred from these schemas,
// the JSON Schema for editors is generated from them (the .describe() texts become the hover help),
// and docs/configuration.md describes them. Objects are strict: an unknown key is an error (with a
// did-you-mean from the loader). Cross-field rules (unique ids, routes to existing pools, ...) live
// in semantic.ts.

const weightMessage = (issue: { input?: unknown }) => `expected a whole number from 0 to 10000, got ${JSON.stringify(issue.input)}`;
const weight = z.number({ error: weightMessage }).int({ error: weightMessage }).min(0, { error: weightMessage }).max(10_000, { error: weightMessage });

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

const countOrZero = (what: string) =>
  z.number({ error: `expected ${what}` }).int({ error: `expected ${what}` }).nonnegative({ error: (issue) => `expected ${what}, got ${JSON.stringify(issue.input)}` });

export const backendSchema = z.strictObject({
  id: z
    .string({ error: 'expected an id such as "web-1"' })
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, { error: (issue) => `expected an id of letters, digits, "_", "." or "-" (at most 64), got ${JSON.stringify(issue.input)}` })
    .describe('Stable identifier, unique across the whole config; used in metrics, cookies and alerts.'),
  url: backendUrl().describe('The backend origin: http:// or https://, host and optional port, no path, such as "http://10.0.0.11:8000".'),
  weight: weight.default(100).describe('Relative share of requests, 0 to 10000. 0 takes no new requests.'),
  max_inflight: countOrZero('a whole number of requests, 0 for no limit').optional()
    .describe("Maximum requests in flight to this backend; 0 means no limit. Overrides the pool's max_inflight."),
  drain: z.boolean().default(false).describe('A draining backend takes no new requests (sticky or not); in-flight ones finish.'),
});

export const hashKeySchema = z.enum(['header', 'cookie', 'source_ip', 'path']);

export const hashSchema = z.strictObject({
  by: hashKeySchema.default('source_ip').describe('What is hashed: a header, a cookie, the client address or the path.'),
  name: z.string().optional().describe('Header or cookie name; required when `by` is header or cookie.'),
  table: z.enum(['maglev', 'ring']).default('maglev').describe('Consistent hashing table: Maglev (Eisenbud et al., NSDI 2016) or a ring with virtual nodes.'),
  bound: boundFactor.default(1.25).describe('Bounded loads (Mirrokni et al.): no backend takes more than ceil(bound × average in-flight).'),
});

export const persistenceSchema = z.strictObject({
  by: z.enum(['none', 'cookie', 'header', 'source_ip']).default('none').describe('How a client is pinned to a backend; "none" turns persistence off.'),
  name: z.string().optional().describe('Cookie name (by: cookie, default "ek_session") or header name (by: header, required).'),
  ttl: duration().prefault('30m').describe('How long a pin lasts without requests.'),
  bound: boundFactor.default(1.25).describe('Load bound factor c; persistence never sends a backend more than ceil(c × average in-flight).'),
});

export const healthSchema = z.strictObject({
  path: z.string().startsWith('/', { error: 'expected a path starting with "/", such as "/healthz"' }).optional()
    .describe('Path of the active health check, such as "/healthz"; active checks are off when no path is set.'),
  interval: duration().prefault('2s').describe('Time between two checks of one backend.'),
  timeout: duration().prefault('1s').describe('A check that takes longer fails; must be shorter than interval.'),
  rise: positiveInt('a whole number of checks, at least 1').default(2).describe('Consecutive passing checks that make an unhealthy backend healthy.'),
  fall: positiveInt('a whole number of checks, at least 1').default(3).describe('Consecutive failing checks that make a healthy backend unhealthy.'),
  expected_status: z.string().regex(/^\d{3}(-\d{3})?$/, { error: 'expected a status such as "200" or a range such as "200-399"' }).default('200-399')
    .describe('Status range counted as healthy, "200-399" or a single code.'),
  host: z.string().optional().describe('Host header sent with checks; defaults to the backend URL host.'),
});

export const outlierSchema = z.strictObject({
  consecutive_failures: countOrZero('a whole number of failures, 0 to turn ejection off').default(5)
    .describe('Consecutive 5xx responses or connection failures that eject a backend; 0 turns ejection off.'),
  base_ejection: duration().prefault('30s').describe('The first ejection lasts this long; each repeated ejection multiplies it, up to max_ejection.'),
  max_ejection: duration().prefault('5m').describe('The longest an ejection lasts.'),
  max_ejected_share: share.default(0.5).describe('Never eject more than this share of a pool at once.'),
});

export const poolSchema = z.strictObject({
  algorithm: z.enum(['round-robin', 'least-inflight', 'p2c', 'random', 'hash']).default('round-robin')
    .describe('How a backend is chosen: smooth weighted round robin, least in-flight, power of two choices, random, or consistent hashing.'),
  hash: hashSchema.optional().describe('Consistent hashing settings; only with algorithm: hash (defaults apply when omitted).'),
  persistence: persistenceSchema.prefault({}).describe('Session persistence (sticky sessions), bounded so it cannot pile load onto few backends.'),
  health: healthSchema.prefault({}).describe('Active health checks.'),
  outlier: outlierSchema.prefault({}).describe('Passive outlier ejection from real traffic.'),
  slow_start: duration().prefault('30s').describe('A recovered or added backend\'s effective weight ramps up over this window; "0s" turns it off.'),
  panic_threshold: share.default(0.5).describe('Below this share of healthy backends the pool panics and uses all of them; 0 turns panic off.'),
  max_inflight: countOrZero('a whole number of requests, 0 for no limit').default(0).describe('Maximum requests in flight per backend; 0 means no limit.'),
  queue: z
    .strictObject({
      size: countOrZero('a whole number of requests').default(100)
        .describe('Requests that may wait for a backend slot when every candidate is at max_inflight.'),
      timeout: duration().prefault('5s').describe('How long a queued request waits before a 503.'),
    })
    .prefault({})
    .describe('Waiting room for requests when every backend is at max_inflight.'),
  retry: z
    .strictObject({ attempts: z.number().int().min(0).max(3).default(1).describe('Retries on another backend, 0 to 3.') })
    .prefault({})
    .describe('Retry an idempotent request on another backend when the connection fails before any response byte.'),
  backends: z.array(backendSchema).min(1, { error: 'expected at least one backend' }).describe('The servers of this pool.'),
});

export const routeSchema = z.strictObject({
  match: z
    .strictObject({
      host: z.string().optional().describe('Exact host, or "*.example.com" for any subdomain. The port is ignored.'),
      path_prefix: z.string().startsWith('/', { error: 'expected a path prefix starting with "/"' }).optional().describe('Path prefix such as "/api/".'),
      headers: z.record(z.string(), z.string()).optional().describe('Every listed header must be present with exactly this value.'),
    })
    .prefault({})
    .describe('All given conditions must hold; an empty match takes every request.'),
  pool: z.string({ error: 'expected the name of a pool' }).describe('The pool that serves matching requests.'),
});

export const httpsListenerSchema = z.strictObject({
  address: listenAddress().describe('"host:port" to listen on for HTTPS.'),
  cert: z.string({ error: 'expected the path of a PEM certificate file' }).describe('Path of the PEM certificate chain.'),
  key: z.string({ error: 'expected the path of a PEM private key file' }).describe('Path of the PEM private key.'),
});

export const demoUpstreamSchema = z.strictObject({
  port: z.number().int().min(1).max(65_535).describe('Port on 127.0.0.1 for this demo server.'),
  latency: duration().prefault('2ms').describe('Added to every response, to make the demo look like real servers.'),
  error_rate: share.default(0).describe('Share of responses that are 500, for demonstrations of outlier detection.'),
});

export const configSchema = z.strictObject({
  listen: z
    .strictObject({
      http: listenAddress().optional().describe('"host:port" for plain HTTP, such as "0.0.0.0:8080".'),
      https: httpsListenerSchema.optional().describe('HTTPS listener with its certificate and key.'),
    })
    .prefault({ http: '0.0.0.0:8080' })
    .describe('Where the proxy accepts requests; at least one of http and https. Default: http on 0.0.0.0:8080.'),
  admin: z.strictObject({ listen: listenAddress().default('127.0.0.1:9090').describe('"host:port" of the admin API and /metrics.') }).prefault({})
    .describe('The admin API and Prometheus metrics.'),
  store: z.strictObject({ url: z.string().default('sqlite://./data/evenkeel.db').describe('sqlite://PATH or postgres://… URL.') }).prefault({})
    .describe('Where config versions, change requests and the audit log are kept.'),
  workers: z.union([z.number().int().min(1).max(256), z.literal('auto')], {
    error: (issue) => `expected a whole number of workers from 1 to 256 or "auto", got ${JSON.stringify(issue.input)}`,
  }).default(1).describe('Worker processes sharing the listening port; "auto" is one per core.'),
  proxy: z
    .strictObject({
      timeouts: z
        .strictObject({
          connect: duration().prefault('5s').describe('Connecting to a backend.'),
          response_headers: duration().prefault('60s').describe('From sending the request to receiving the response headers.'),
          idle: duration().prefault('60s').describe('Longest silence between two chunks of a body, either way.'),
          request: duration().prefault('0s').describe('Whole request, from accept to last response byte; "0s" means no limit.'),
          upstream_keepalive: duration()
            .prefault('60s')
            .describe("How long an idle keep-alive connection to a backend stays open (a backend's shorter Keep-Alive: timeout hint wins)."),
        })
        .prefault({})
        .describe('Proxy timeouts; a timeout answers 504 (or closes a streaming response).'),
      max_body_size: size().prefault('10mb').describe('Largest request body accepted; larger ones get 413.'),
      trusted_proxies: z.array(z.string()).default([]).describe("Peers (IPs or CIDRs) whose X-Forwarded-* headers are kept and appended to; others' are replaced."),
      drain_timeout: duration().prefault('15s').describe('How long SIGTERM waits for in-flight requests.'),
      cookie_secret: z.string().min(16, { error: 'expected a cookie secret of at least 16 characters' }).optional()
        .describe('Secret for signing persistence cookies; defaults to $EVENKEEL_COOKIE_SECRET, else a random key kept in the store and shared by every node using it.'),
      access_log: z.boolean().default(false).describe('Structured JSON access log on standard output.'),
    })
    .prefault({})
    .describe('Data plane settings shared by all pools.'),
  pools: z
    .record(z.string().regex(/^[A-Za-z0-9_-]+$/, { error: 'expected a pool name of letters, digits, "_" or "-"' }), poolSchema)
    .describe('Named groups of backends. Names are letters, digits, "_" or "-".'),
  routes: z.array(routeSchema).default([]).describe('Rules tried in order; the first match picks the pool. Optional with exactly one pool.'),
  demo: z
    .strictObject({ upstreams: z.array(demoUpstreamSchema).min(1).describe('Demo web servers to start.') })
    .optional()
    .describe('DEMO ONLY: upstreams that evenkeel starts in its own process so that `npm start` needs nothing else. Never use this section in front of real servers.'),
  monitor: monitorSchema.prefault({}).describe('Rules evaluated every second on live telemetry, and where alerts go (docs/monitoring.md).'),
  policy: policySchema.prefault({}).describe('Who may propose and approve changes, which changes wait for approval, and the guardrails that refuse a change (docs/changes.md).'),
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
