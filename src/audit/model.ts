// The audit's view of a load balancer config, whatever wrote it. Each reader (evenkeel YAML, NGINX,
// HAProxy) turns its grammar into this model, keeping the file, line and column of everything it
// saw; the rules judge only the model, so one rule covers the same risk in all three products
// (NGINX `ip_hash`, HAProxy `balance source` and evenkeel `persistence: { by: source_ip }` are all
// source-IP affinity). A field a config does not set is undefined: "not set" is a finding of its own
// for some rules, and a reader never invents a default the product would not apply.

export type ConfigKind = 'evenkeel' | 'nginx' | 'haproxy';

/** Where something is written: 1-based line and column. */
export interface SourcePosition {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** A value and where it was written (or, for an inherited value, where the defaults set it). */
export interface Located<T> {
  readonly value: T;
  readonly at: SourcePosition;
}

export type BalanceAlgorithm = 'round-robin' | 'least-connections' | 'random' | 'hash' | 'source-ip' | 'first' | 'other';

/** Consistent or plain hashing of a request key (NGINX `hash`, HAProxy `balance hdr/uri/url_param` + `hash-type`). */
export interface Hashing {
  readonly key: 'source_ip' | 'cookie' | 'header' | 'uri' | 'other';
  /** The raw key expression, such as "$request_uri" or "hdr(X-User)". */
  readonly expression: string;
  readonly isConsistent: boolean;
  /** Load bound factor (HAProxy `hash-balance-factor` / 100, evenkeel `hash.bound`); undefined when unbounded. */
  readonly boundFactor: number | undefined;
  readonly at: SourcePosition;
}

/** Session persistence: the same client goes to the same server. */
export interface Persistence {
  /** cookie: HAProxy `cookie`, NGINX `sticky cookie`, evenkeel cookie; table: HAProxy `stick on`/`stick-table`; route/learn: NGINX `sticky route|learn`. */
  readonly kind: 'cookie' | 'source_ip' | 'header' | 'table' | 'route' | 'learn' | 'other';
  /** How long a pin lasts without requests; undefined when the config does not say. */
  readonly ttlMs: number | undefined;
  /** Load bound factor that keeps persistence from piling load on one server; undefined when unbounded. */
  readonly boundFactor: number | undefined;
  readonly at: SourcePosition;
}

export interface HealthCheck {
  /** False when written but turned off (HAProxy `no option httpchk`, `check` missing on every server, evenkeel `health.path` unset). */
  readonly isEnabled: boolean;
  readonly intervalMs: number | undefined;
  readonly timeoutMs: number | undefined;
  readonly rise: number | undefined;
  readonly fall: number | undefined;
  readonly at: SourcePosition;
}

export interface AuditedServer {
  readonly name: string;
  readonly address: string;
  readonly weight: number | undefined;
  readonly isBackup: boolean;
  /** Turned off in the config (NGINX `down`, HAProxy `disabled`, evenkeel `drain: true` or weight 0). */
  readonly isDisabled: boolean;
  /** Per-server connection limit (HAProxy `maxconn`, NGINX `max_conns`, evenkeel `max_inflight`). */
  readonly maxConnections: number | undefined;
  /** Passive failure detection: NGINX `max_fails` (0 turns it off), HAProxy `observe`/`on-error`, evenkeel outlier ejection. */
  readonly maxFails: number | undefined;
  readonly slowStartMs: number | undefined;
  /** HAProxy `check` on this server; NGINX servers inherit the pool's check. */
  readonly hasCheck: boolean | undefined;
  readonly at: SourcePosition;
}

export interface Timeouts {
  readonly connect?: Located<number>;
  /** Waiting for the response (NGINX proxy_read_timeout, HAProxy timeout server, evenkeel response_headers). */
  readonly server?: Located<number>;
  readonly client?: Located<number>;
  readonly queue?: Located<number>;
  /** The whole request (evenkeel proxy.timeouts.request, HAProxy timeout http-request). */
  readonly request?: Located<number>;
}

export interface Retries {
  readonly count: number | undefined;
  /** True when non-idempotent requests (POST, PATCH) may be retried (NGINX `proxy_next_upstream non_idempotent`, HAProxy `retry-on` with all-retryable-errors plus `option redispatch` on POST...). */
  readonly retriesNonIdempotent: boolean;
  readonly at: SourcePosition;
}

/** One group of servers: NGINX `upstream`, HAProxy `backend`/`listen`, evenkeel pool. */
export interface AuditedPool {
  readonly name: string;
  readonly at: SourcePosition;
  readonly balance: Located<BalanceAlgorithm> | undefined;
  readonly hashing: Hashing | undefined;
  readonly persistence: readonly Persistence[];
  readonly servers: readonly AuditedServer[];
  readonly healthCheck: HealthCheck | undefined;
  /** Pool-wide slow start (evenkeel slow_start, HAProxy `default-server slowstart`). */
  readonly slowStartMs: Located<number> | undefined;
  /** A bounded wait queue for requests when servers are at their limit (HAProxy `timeout queue` + maxconn, NGINX `queue`, evenkeel queue). */
  readonly queue: Located<{ size: number | undefined; timeoutMs: number | undefined }> | undefined;
  readonly timeouts: Timeouts;
  readonly retries: Retries | undefined;
}

/** An admin or status interface (evenkeel admin API, HAProxy stats page or runtime socket, NGINX stub_status/api). */
export interface AdminInterface {
  readonly kind: 'evenkeel-admin' | 'haproxy-stats' | 'haproxy-runtime-socket' | 'nginx-status' | 'nginx-api';
  /** "0.0.0.0:9090", "127.0.0.1:8404", "/run/haproxy.sock", "ipv4@0.0.0.0:9999" ... */
  readonly address: string;
  readonly isLoopbackOnly: boolean;
  /** HAProxy `stats auth`, NGINX `auth_basic`/`allow`+`deny all`, evenkeel tokens (always on). */
  readonly hasAuthentication: boolean;
  /** HAProxy `stats admin if ...`, runtime socket `level admin`, NGINX `api write=on`. */
  readonly canChangeState: boolean;
  readonly at: SourcePosition;
}

/** A directive or key as written, for the standards file's required settings. */
export interface Setting {
  /** Directive name (NGINX, HAProxy: "proxy_connect_timeout", "timeout connect", "option httpchk") or evenkeel config path ("proxy.timeouts.connect"). */
  readonly key: string;
  readonly args: readonly string[];
  /** The block it sits in: "http", "server", "location /", "upstream app", "defaults", "backend app", "global", or the evenkeel pool name / "" for top level. */
  readonly scope: string;
  readonly at: SourcePosition;
}

/** A problem a reader met: a syntax error (with position) or an include it could not read. */
export interface ReadProblem {
  readonly message: string;
  readonly at: SourcePosition;
}

/** What a reader produces. A reader never throws on bad input: problems are reported here. */
export interface AuditedConfig {
  readonly kind: ConfigKind;
  /** The file given on the command line (includes are listed in `files`). */
  readonly file: string;
  readonly files: readonly string[];
  readonly pools: readonly AuditedPool[];
  readonly admin: readonly AdminInterface[];
  readonly settings: readonly Setting[];
  readonly problems: readonly ReadProblem[];
}
