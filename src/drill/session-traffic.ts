import { Pool } from 'undici';
import { DrillError } from './errors.js';
import { seededRandom, type Random } from './seeded-random.js';
import { SessionJar } from './session-jar.js';
import { TrafficStats, type FailureReason, type TrafficSnapshot } from './traffic-stats.js';
import { zipfSampler } from './zipf-sampler.js';

// Session-aware, open-loop traffic: what a load balancer with sticky sessions actually receives.
// - Sessions: N simulated users, each with its own cookie jar, so evenkeel's sticky cookie pins each
//   one as it would pin a browser. Their activity is Zipf-distributed (a few busy users send most
//   requests), which is what lets sticky sessions pile load onto a few backends.
// - Open loop: requests are sent on a fixed schedule (one every 1000 / rate ms) whether or not earlier
//   ones were answered, and latency is measured from the scheduled time. A closed-loop generator
//   (wait for the answer, then send) would slow down with a slow server and hide the overload.
// - Bounded: at most maxInflight requests out (beyond that a request is counted as refused, never
//   queued), a timeout on every request, and a duration after which the schedule ends.
// - Seeded: the same seed picks the same sessions in the same order.

export interface SessionTrafficOptions {
  /** Where requests go: origin and path, such as "http://127.0.0.1:8080/". */
  readonly url: string;
  readonly ratePerSecond: number;
  /** The schedule ends after this long (stop() ends it sooner). */
  readonly durationMs: number;
  /** Simulated users. Default 1000. */
  readonly sessions?: number;
  /** Zipf exponent s of session activity; 0 is uniform. Default 1. */
  readonly zipfExponent?: number;
  /** Requests out at once before further ones are refused. Default 256. */
  readonly maxInflight?: number;
  /** Requests slower than this are counted. Default 500 ms. */
  readonly sloMs?: number;
  /** A request without response headers or body progress for this long fails as "timeout". Default 10 s. */
  readonly timeoutMs?: number;
  /** Keep-alive connections to the target. Default 64. */
  readonly connections?: number;
  readonly seed?: number;
  /** Count responses by this response header (capacity backends send x-backend). */
  readonly backendHeader?: string;
}

const DRAIN_GRACE_MS = 1_000;

export class SessionTraffic {
  private readonly options: Required<Omit<SessionTrafficOptions, 'backendHeader'>> & { backendHeader: string | undefined };
  private readonly pool: Pool;
  private readonly path: string;
  private readonly host: string;
  private readonly random: Random;
  private readonly pickSession: () => number;
  private readonly jars: SessionJar[];
  private readonly perSession: Uint32Array;
  private readonly stats: TrafficStats;
  private rate: number;
  private startMs = 0;
  private endMs = 0;
  private nextDueMs = 0;
  private inflight = 0;
  private timer: NodeJS.Timeout | undefined;
  private isScheduling = false;
  private finished: Promise<TrafficSnapshot> | undefined;
  private onIdle: (() => void) | undefined;

  constructor(options: SessionTrafficOptions) {
    this.options = {
      sessions: 1000,
      zipfExponent: 1,
      maxInflight: 256,
      sloMs: 500,
      timeoutMs: 10_000,
      connections: 64,
      seed: 1,
      ...stripUndefined(options),
      backendHeader: options.backendHeader?.toLowerCase(),
    } as SessionTraffic['options'];
    checkRate(options.ratePerSecond);
    if (!(options.durationMs > 0)) throw new DrillError('EK_DRILL_INVALID_OPTION', `expected durationMs above 0, got ${options.durationMs}`);
    const target = new URL(options.url);
    this.path = target.pathname + target.search;
    this.host = target.host;
    this.pool = new Pool(target.origin, { connections: this.options.connections, keepAliveTimeout: 60_000 });
    this.random = seededRandom(this.options.seed);
    this.pickSession = zipfSampler(this.options.sessions, this.options.zipfExponent, this.random);
    this.jars = Array.from({ length: this.options.sessions }, () => new SessionJar());
    this.perSession = new Uint32Array(this.options.sessions);
    this.stats = new TrafficStats(this.options.sloMs);
    this.rate = options.ratePerSecond;
  }

  /** Starts the schedule; resolves with the final stats once it has ended and every request is settled. */
  start(): Promise<TrafficSnapshot> {
    if (this.finished !== undefined) return this.finished;
    this.startMs = performance.now();
    this.endMs = this.startMs + this.options.durationMs;
    this.nextDueMs = this.startMs;
    this.isScheduling = true;
    this.finished = new Promise<void>((resolve) => (this.onIdle = resolve)).then(async () => {
      await this.pool.close();
      return this.snapshot();
    });
    this.loop();
    return this.finished;
  }

  /** The offered rate from now on (a spike, a drop); the schedule continues from the next due request. */
  setRate(ratePerSecond: number): void {
    checkRate(ratePerSecond);
    const now = performance.now();
    if (this.rate === 0 && this.nextDueMs < now) this.nextDueMs = now; // a pause owes nothing
    this.rate = ratePerSecond;
  }

  get ratePerSecond(): number {
    return this.rate;
  }

  /** Requests out now. */
  get inflightRequests(): number {
    return this.inflight;
  }

  /**
   * New users take the place of `share` (0..1) of the sessions, chosen at random: their cookies are
   * forgotten, so the load balancer pins them afresh. Returns how many were renewed.
   */
  renewSessions(share = 1): number {
    let renewed = 0;
    for (const jar of this.jars) {
      if (share >= 1 || this.random() < share) {
        jar.clear();
        renewed++;
      }
    }
    return renewed;
  }

  /** The cookie jar of session `index` (0 is the busiest). */
  jar(index: number): SessionJar {
    return this.jars[index];
  }

  /** Requests sent per session so far, busiest rank first. */
  requestsBySession(): Uint32Array {
    return this.perSession.slice();
  }

  snapshot(): TrafficSnapshot {
    return this.stats.snapshot(this.startMs === 0 ? 0 : Math.min(performance.now(), this.endMs) - this.startMs);
  }

  /** Ends the schedule now; resolves like start() once every request is settled. */
  stop(): Promise<TrafficSnapshot> {
    if (this.finished === undefined) throw new DrillError('EK_DRILL_NOT_RUNNING', 'stop() before start(): start the traffic first');
    this.endMs = Math.min(this.endMs, performance.now());
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.endSchedule();
    return this.finished;
  }

  private loop = (): void => {
    this.timer = undefined;
    const now = performance.now();
    while (this.rate > 0 && this.nextDueMs <= now && this.nextDueMs < this.endMs) {
      this.send(this.nextDueMs);
      this.nextDueMs += 1000 / this.rate;
    }
    if (this.rate === 0) this.nextDueMs = now;
    if (now >= this.endMs || this.nextDueMs >= this.endMs) {
      this.endSchedule();
      return;
    }
    // Node's timers have millisecond resolution; whatever is due by then goes out in one burst.
    const waitMs = this.rate === 0 ? 10 : Math.max(1, Math.min(this.nextDueMs - now, 50));
    this.timer = setTimeout(this.loop, waitMs);
  };

  private endSchedule(): void {
    if (!this.isScheduling) return;
    this.isScheduling = false;
    if (this.inflight === 0) {
      this.onIdle?.();
      return;
    }
    // Every request has its own timeout, so this is only a backstop against a lost callback.
    setTimeout(() => this.onIdle?.(), this.options.timeoutMs + DRAIN_GRACE_MS).unref();
  }

  private send(scheduledMs: number): void {
    this.stats.recordOffered();
    if (this.inflight >= this.options.maxInflight) {
      this.stats.recordRefused('inflight_limit');
      return;
    }
    const session = this.pickSession();
    this.perSession[session]++;
    const jar = this.jars[session];
    const cookie = jar.cookieHeader();
    const headers: Record<string, string> = { host: this.host };
    if (cookie !== undefined) headers.cookie = cookie;
    this.inflight++;
    this.stats.recordSent();
    this.pool
      .request({ path: this.path, method: 'GET', headers, headersTimeout: this.options.timeoutMs, bodyTimeout: this.options.timeoutMs })
      .then(async (response) => {
        jar.store(response.headers['set-cookie']);
        await response.body.dump();
        const backendValue = this.options.backendHeader === undefined ? undefined : response.headers[this.options.backendHeader];
        const failure: FailureReason | undefined = response.statusCode < 400 ? undefined : `status ${response.statusCode}`;
        this.settle(scheduledMs, failure, typeof backendValue === 'string' ? backendValue : undefined);
      })
      .catch((error: unknown) => this.settle(scheduledMs, failureOf(error), undefined));
  }

  private settle(scheduledMs: number, failure: FailureReason | undefined, backend: string | undefined): void {
    this.inflight--;
    this.stats.recordCompleted(performance.now() - scheduledMs, failure, backend);
    if (this.inflight === 0 && !this.isScheduling) this.onIdle?.();
  }
}

function failureOf(error: unknown): FailureReason {
  const code = (error as { code?: unknown }).code;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'timeout';
  return typeof code === 'string' ? code : error instanceof Error ? error.name : 'unknown';
}

function checkRate(ratePerSecond: number): void {
  if (!(ratePerSecond >= 0) || !Number.isFinite(ratePerSecond)) {
    throw new DrillError('EK_DRILL_INVALID_OPTION', `expected a rate of requests per second >= 0, got ${ratePerSecond}`);
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as Partial<T>;
}
