/** The fields of a backend that telemetry needs; BackendState from balance/ satisfies it. */
export interface BackendKey {
  /** Unique for the life of the process; an array index for per-backend counters. */
  readonly serial: number;
  readonly poolName: string;
  readonly id: string;
  /**
   * Requests in flight to the backend from this process, read when a worker drains its telemetry
   * delta (BackendState keeps it). Optional so that tests may pass bare keys.
   */
  readonly inflight?: number;
}

/** Where the proxy reports each finished request. Implementations must not allocate or do I/O per call. */
export interface TelemetrySink {
  /**
   * One request answered through (or on behalf of) a backend. `statusCode` is the status the client
   * got (a 502 for an upstream reset counts as 5xx for the backend that reset).
   */
  recordRequest(
    backend: BackendKey,
    statusCode: number,
    latencyMs: number,
    bytesIn: number,
    bytesOut: number,
    isPinned: boolean,
    isSpilled: boolean,
  ): void;
  /** A request the proxy answered itself without a backend (no healthy backend, queue full, ...). */
  recordProxyError(poolName: string, errorCode: string): void;
  /**
   * The balancer's first pick for a request, for the request sample that impact simulations replay
   * (request-sample.ts). `atMs` is when the request arrived (wall clock, from a time the caller
   * already has, as proxy/wall-clock.ts does: reading the clock again costs more than the rest of the
   * recording), `keyHash` the hash of the key the pool's balancer looks at or NO_SAMPLE_KEY,
   * `inflight` the pool's requests in flight in this process, this one included. Optional: sinks that do not sample leave it out.
   */
  recordPick?(poolName: string, atMs: number, keyHash: number, backendId: string, inflight: number, isPinned: boolean, isSpilled: boolean): void;
}

/** One line of the structured access log (written only when the access log is on). */
export interface AccessLogEntry {
  method: string;
  host: string;
  path: string;
  status: number;
  pool: string;
  /** Backend id, or "" when the proxy answered itself. */
  backend: string;
  latencyMs: number;
  bytesIn: number;
  bytesOut: number;
  clientIp: string;
  isPinned: boolean;
  /** x-evenkeel-error code, or "" on success. */
  error: string;
}

export interface AccessLog {
  write(entry: AccessLogEntry): void;
}
