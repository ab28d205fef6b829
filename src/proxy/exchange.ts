import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { acquire, release, resetOutcome, selectableWeight, type BackendState, type PickOutcome, type PickRequest, type PoolMembers } from '../balance/index.js';
import type { AccessLog, TelemetrySink } from '../telemetry/index.js';
import type { QueueWaiter } from './capacity-queue.js';
import type { DeadlineEntry } from './deadline-list.js';
import { PROXY_ERRORS, ProxyError, type ProxyErrorCode } from './errors.js';
import { classifyUpstreamError, IDEMPOTENT_METHODS, isRetryableFailure } from './retry-policy.js';
import { filterResponseHeaders } from './hop-by-hop.js';
import type { OutcomeObserver } from './outcome-observer.js';
import { RequestBody, type RequestBodyOwner } from './request-body.js';
import { writeAccessEntry } from './access-entry.js';
import { drainRequest, sendError } from './response.js';
import type { PoolRuntime, ProxySnapshot } from './snapshot.js';
import type { Tunnel } from './tunnel.js';
import { wallClockMs } from './wall-clock.js';

// One client request and its trip to a backend: pick (or wait in the pool's queue), acquire a slot,
// dispatch over the backend's undici pool, stream the response back, retry once on a connection
// failure, and settle exactly once: release the slot, report the outcome, record telemetry.
// Written as one handler object per request, like undici's own handlers: no per-request closures,
// the total timeout is a place in the snapshot's deadline list (no timer per request), the rarer
// timers take the exchange as their argument, and the response and request find their exchange
// through a symbol. It speaks undici's raw handler interface (onConnect, onHeaders, onData,
// onComplete, onError): the controller-style interface makes undici wrap every request in two more
// objects and parse the response headers into an object we do not read (about 1.5 µs a request).

/** What an exchange needs from the server that owns it. */
export interface ExchangeContext {
  readonly telemetry: TelemetrySink;
  readonly outcomes: OutcomeObserver;
  readonly accessLog: AccessLog | undefined;
  /** True once close() began: responses ask clients to reconnect elsewhere. */
  readonly isClosing: boolean;
  exchangeDone(exchange: Exchange): void;
  tunnelDone(tunnel: Tunnel): void;
}

/** Status recorded for a client that went away before any response (NGINX's 499). */
export const CLIENT_CLOSED_STATUS = 499;

const kExchange = Symbol('evenkeel.exchange');
type TrackedResponse = ServerResponse & { [kExchange]?: Exchange };

const enum Phase {
  Picking,
  Queued,
  Dispatched,
  Connected,
  Done,
}

export class Exchange implements PickRequest, PickOutcome, QueueWaiter, RequestBodyOwner, DeadlineEntry, Dispatcher.DispatchHandler {
  // The exchange is its own PickRequest and PickOutcome: two fewer objects per request.
  readonly sourceIp: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  isPinned = false;
  isSpilled = false;
  setCookie: string | undefined = undefined;
  isQueued = false;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly snapshot: ProxySnapshot;
  readonly pool: PoolRuntime;
  private readonly context: ExchangeContext;
  private readonly startMs: number;
  private readonly dispatchOptions: Dispatcher.DispatchOptions;
  private readonly body: RequestBody | undefined;
  private readonly maxBodyBytes: number;
  private readonly idleMs: number;
  private readonly isCookieSecure: boolean;
  private phase = Phase.Picking;
  private backend: BackendState | undefined;
  private isAcquired = false;
  private excluded: BackendState | undefined;
  private retriesLeft: number;
  /** undici's abort for the dispatched request; undefined until it connects. */
  private abortUpstream: ((reason: Error) => void) | undefined;
  private resumeUpstreamRead: (() => void) | undefined;
  private isUpstreamAborted = false;
  private isResponseStarted = false;
  private isOutcomeReported = false;
  private isBodyComplete: boolean;
  private isClientGone = false;
  private isListeningForDrain = false;
  /** Set when the proxy itself ends the exchange (timeout, body too large). */
  private abortCode: ProxyErrorCode | undefined;
  private errorCode: ProxyErrorCode | undefined;
  private statusCode = 0;
  private bodyBytes = 0;
  private responseBytes = 0;
  private lastBodyChunkMs = 0;
  private queueTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  // DeadlineEntry: the snapshot's list of requests waiting for timeouts.request (deadline-list.ts).
  deadlinePrev: DeadlineEntry | undefined = undefined;
  deadlineNext: DeadlineEntry | undefined = undefined;
  deadlineAtMs: number | undefined = undefined;

  constructor(context: ExchangeContext, snapshot: ProxySnapshot, pool: PoolRuntime, req: IncomingMessage, res: ServerResponse, upstreamHeaders: string[], sourceIp: string, hasBody: boolean, isCookieSecure: boolean, path: string) {
    this.context = context;
    this.isCookieSecure = isCookieSecure;
    this.snapshot = snapshot;
    this.pool = pool;
    this.req = req;
    this.res = res;
    this.startMs = performance.now();
    this.sourceIp = sourceIp;
    this.path = path;
    this.headers = req.headers;
    this.retriesLeft = IDEMPOTENT_METHODS.has(req.method as string) ? pool.config.retry.attempts : 0;
    const timeouts = snapshot.config.proxy.timeouts;
    this.maxBodyBytes = snapshot.config.proxy.max_body_size;
    this.idleMs = timeouts.idle;
    this.isBodyComplete = !hasBody;
    this.body = hasBody ? new RequestBody(req, this) : undefined;
    this.dispatchOptions = {
      path,
      method: req.method as Dispatcher.HttpMethod,
      headers: upstreamHeaders,
      body: this.body ?? null,
      headersTimeout: timeouts.response_headers,
      bodyTimeout: timeouts.idle,
    };
  }

  /** Starts the exchange; everything after this is driven by events. */
  start(): void {
    const res = this.res as TrackedResponse;
    res[kExchange] = this;
    res.on('close', onClientClose);
    this.snapshot.requestDeadlines?.add(this, this.startMs);
    if (this.body !== undefined && this.idleMs > 0) {
      this.lastBodyChunkMs = performance.now();
      this.idleTimer = setTimeout(onBodyIdleCheck, this.idleMs, this);
    }
    if (this.pickAndForward()) return;
    if (!hasSelectableBackend(this.pool.members)) return this.answerWithoutBackend('EK_NO_HEALTHY_BACKEND');
    if (!this.pool.queue.enqueue(this)) return this.answerWithoutBackend('EK_QUEUE_FULL');
    this.phase = Phase.Queued;
    this.queueTimer = setTimeout(onQueueTimeout, this.pool.queue.timeoutMs, this);
  }

  /** QueueWaiter: a backend of the pool released a slot. */
  onSlotFree(): boolean {
    if (!this.pickAndForward()) return false;
    clearTimeout(this.queueTimer);
    this.queueTimer = undefined;
    return true;
  }

  private pickAndForward(): boolean {
    const pool = this.pool;
    resetOutcome(this);
    const backend = pool.picker.pick(this, this, this.excluded);
    if (backend === undefined) return false;
    this.backend = backend;
    acquire(pool.members, backend);
    // The request sample keeps the client's first pick only: a retry is the same request again.
    if (this.excluded === undefined) {
      this.context.telemetry.recordPick?.(pool.name, wallClockMs(this.startMs), pool.sampleKey.hash(this), backend.id, pool.members.totalInflight, this.isPinned, this.isSpilled);
    }
    this.isAcquired = true;
    this.isOutcomeReported = false;
    this.abortUpstream = undefined;
    this.resumeUpstreamRead = undefined;
    this.isUpstreamAborted = false;
    this.phase = Phase.Dispatched;
    const upstream = this.snapshot.upstreamOf.get(backend);
    if (upstream === undefined) {
      // The backend was removed by a reload between the pick and now.
      this.onError(new ProxyError('EK_UPSTREAM_CONNECT_FAILED', `backend ${backend.id} was removed`));
      return true;
    }
    upstream.dispatcher.dispatch(this.dispatchOptions, this);
    return true;
  }

  // ---- undici raw DispatchHandler ---------------------------------------------------------------

  onConnect(abort: (reason?: Error) => void): void {
    this.abortUpstream = abort;
    if (this.phase === Phase.Done) {
      this.abortOnce(new ProxyError('EK_UPSTREAM_RESET', 'exchange already settled'));
      return;
    }
    this.phase = Phase.Connected;
    if (this.isClientGone) this.abortOnce(new Error('client closed the connection'));
    else if (this.abortCode !== undefined) this.abortOnce(new ProxyError(this.abortCode));
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusMessage?: string): boolean {
    // 1xx informational responses (100 Continue, 103 Early Hints) are not forwarded.
    if (statusCode < 200 || this.phase === Phase.Done) return true;
    this.resumeUpstreamRead = resume;
    this.isResponseStarted = true;
    this.statusCode = statusCode;
    this.reportOutcome(statusCode >= 500);
    const out: string[] = [];
    filterResponseHeaders(rawHeaders, out);
    const setCookie = this.setCookie;
    if (setCookie !== undefined) out.push('set-cookie', this.isCookieSecure && !/;\s*secure/i.test(setCookie) ? `${setCookie}; Secure` : setCookie);
    if (this.context.isClosing) out.push('connection', 'close');
    try {
      if (statusMessage) this.res.writeHead(statusCode, statusMessage, out);
      else this.res.writeHead(statusCode, out);
    } catch {
      // Node refused a header or status text the backend sent (ERR_INVALID_CHAR): a broken
      // response is a bad gateway, not something to pass on.
      this.isResponseStarted = false;
      this.abortCode = 'EK_UPSTREAM_RESET';
      this.abortOnce(new ProxyError('EK_UPSTREAM_RESET', 'invalid response head from the backend'));
      return false;
    }
    return true;
  }

  /** Returning false pauses undici until resumeUpstream() (back-pressure from a slow client). */
  onData(chunk: Buffer): boolean {
    this.responseBytes += chunk.length;
    if (this.res.write(chunk)) return true;
    // Listen for 'drain' only once a client is slow: most responses never need it.
    if (!this.isListeningForDrain) {
      this.isListeningForDrain = true;
      this.res.on('drain', onClientDrain);
    }
    return false;
  }

  onComplete(): void {
    if (this.phase === Phase.Done) return;
    this.res.end();
    this.settle();
  }

  onError(error: Error): void {
    if (this.phase === Phase.Done) return;
    const wasConnected = this.phase === Phase.Connected;
    if (this.isClientGone) return this.settle();
    const code = this.abortCode ?? classifyUpstreamError(error, wasConnected);
    const isBackendFault = code !== 'EK_BAD_REQUEST' && (this.abortCode === undefined || this.abortCode === 'EK_REQUEST_TIMEOUT' || this.abortCode === 'EK_UPSTREAM_IDLE_TIMEOUT');
    if (isBackendFault) this.reportOutcome(true);
    if (this.abortCode === undefined && this.mayRetry(code)) {
      this.releaseSlot();
      this.excluded = this.backend;
      this.retriesLeft--;
      if (this.pickAndForward()) return;
      // No other backend to try: answer with the failure of the one we tried.
    }
    this.answerError(code);
    this.settle();
  }

  private abortOnce(reason: Error): void {
    if (this.isUpstreamAborted || this.abortUpstream === undefined) return;
    this.isUpstreamAborted = true;
    this.abortUpstream(reason);
  }

  // ---- request body (RequestBodyOwner) ---------------------------------------------------------

  onBodyChunk(byteLength: number): boolean {
    if (this.phase === Phase.Done) return false;
    this.bodyBytes += byteLength;
    this.lastBodyChunkMs = performance.now();
    if (this.bodyBytes > this.maxBodyBytes) {
      this.terminate('EK_BODY_TOO_LARGE');
      return false;
    }
    return true;
  }

  onBodyEnd(): void {
    this.isBodyComplete = true;
    if (this.idleTimer !== undefined) {
      clearTimeout(this.idleTimer);
      this.idleTimer = undefined;
    }
  }

  // ---- ending -----------------------------------------------------------------------------------

  /** The client went away: abort the upstream request and free the slot. */
  clientGone(): void {
    if (this.phase === Phase.Done) return;
    this.isClientGone = true;
    if (this.phase === Phase.Picking || this.phase === Phase.Queued) return this.settle();
    this.body?.destroy();
    // Before onConnect undici has not connected yet; onConnect or onError settles.
    this.abortOnce(new Error('client closed the connection'));
  }

  /** The proxy ends the exchange itself (a timeout, a body over max_body_size). */
  terminate(code: ProxyErrorCode): void {
    if (this.phase === Phase.Done) return;
    if (this.phase === Phase.Picking || this.phase === Phase.Queued) {
      this.answerError(code);
      return this.settle();
    }
    this.abortCode = code;
    if (this.abortUpstream !== undefined) {
      this.abortOnce(new ProxyError(code));
      return;
    }
    // Still connecting: answer now; onConnect aborts or onError settles later.
    this.answerError(code);
  }

  /** DeadlineEntry: timeouts.request passed. */
  onDeadline(): void {
    this.terminate('EK_REQUEST_TIMEOUT');
  }

  /** Called by the queue timer. */
  queueTimedOut(): void {
    this.queueTimer = undefined;
    if (this.phase !== Phase.Queued) return;
    this.answerWithoutBackend('EK_QUEUE_TIMEOUT');
  }

  /** Called by the idle timer while the request body streams. */
  checkBodyIdle(): void {
    this.idleTimer = undefined;
    if (this.phase === Phase.Done || this.isBodyComplete) return;
    const silentMs = performance.now() - this.lastBodyChunkMs;
    // A paused request means we stopped reading because the backend stopped taking the body
    // (back-pressure): then the backend is the silent side, not the client.
    if (silentMs >= this.idleMs) return this.terminate(this.req.isPaused() ? 'EK_UPSTREAM_IDLE_TIMEOUT' : 'EK_CLIENT_IDLE_TIMEOUT');
    this.idleTimer = setTimeout(onBodyIdleCheck, this.idleMs - silentMs + 1, this);
  }

  resumeUpstream(): void {
    this.resumeUpstreamRead?.();
  }

  private answerWithoutBackend(code: ProxyErrorCode): void {
    this.answerError(code);
    this.settle();
  }

  private mayRetry(code: ProxyErrorCode): boolean {
    if (this.retriesLeft <= 0 || this.isResponseStarted || this.res.headersSent) return false;
    if (!isRetryableFailure(code)) return false;
    return this.body === undefined || this.body.isPristine;
  }

  private reportOutcome(isFailure: boolean): void {
    if (this.isOutcomeReported || this.backend === undefined) return;
    this.isOutcomeReported = true;
    this.context.outcomes.recordOutcome(this.backend, isFailure);
  }

  private answerError(code: ProxyErrorCode): void {
    if (this.errorCode !== undefined) return;
    this.errorCode = code;
    if (this.isClientGone || this.res.destroyed) return;
    if (this.res.headersSent) {
      // Mid-response there is no way to tell the client but to cut the connection.
      this.res.destroy();
      return;
    }
    this.statusCode = PROXY_ERRORS[code].statusCode;
    // A client that stopped sending will not read a drain to its end; close its connection instead.
    const mustClose = this.context.isClosing || code === 'EK_CLIENT_IDLE_TIMEOUT';
    sendError(this.res, code, mustClose);
    if (!mustClose && !this.isBodyComplete) drainRequest(this.req);
  }

  private releaseSlot(): void {
    if (!this.isAcquired) return;
    this.isAcquired = false;
    release(this.pool.members, this.backend as BackendState);
    this.pool.queue.wake();
  }

  /** Exactly once per exchange: timers, slot, queue, telemetry, access log. */
  private settle(): void {
    if (this.phase === Phase.Done) return;
    const wasQueued = this.phase === Phase.Queued;
    this.phase = Phase.Done;
    if (wasQueued) this.pool.queue.cancel(this);
    if (this.queueTimer !== undefined) clearTimeout(this.queueTimer);
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.queueTimer = this.idleTimer = undefined;
    if (this.deadlineAtMs !== undefined) this.snapshot.requestDeadlines?.remove(this);
    if (this.body !== undefined && !this.body.destroyed) this.body.destroy();
    if (!this.isBodyComplete && !this.isClientGone) drainRequest(this.req);
    this.releaseSlot();
    const status = this.statusCode === 0 || (this.isClientGone && !this.isResponseStarted) ? CLIENT_CLOSED_STATUS : this.statusCode;
    const latencyMs = performance.now() - this.startMs;
    const { telemetry, accessLog } = this.context;
    if (this.backend !== undefined) {
      telemetry.recordRequest(this.backend, status, latencyMs, this.bodyBytes, this.responseBytes, this.isPinned, this.isSpilled);
    } else if (this.errorCode !== undefined) {
      telemetry.recordProxyError(this.pool.name, this.errorCode);
    }
    if (accessLog !== undefined) {
      writeAccessEntry(accessLog, this.req, status, this.pool.name, this.backend?.id ?? '', latencyMs, this.bodyBytes, this.responseBytes, this.sourceIp, this.isPinned, this.errorCode ?? '');
    }
    this.context.exchangeDone(this);
  }
}

function hasSelectableBackend(members: PoolMembers): boolean {
  const backends = members.backends;
  for (let i = 0; i < backends.length; i++) if (selectableWeight(members, backends[i]) > 0) return true;
  return false;
}

function onClientClose(this: TrackedResponse): void {
  if (this.writableFinished) return;
  this[kExchange]?.clientGone();
}

function onClientDrain(this: TrackedResponse): void {
  this[kExchange]?.resumeUpstream();
}

function onQueueTimeout(exchange: Exchange): void {
  exchange.queueTimedOut();
}

function onBodyIdleCheck(exchange: Exchange): void {
  exchange.checkBodyIdle();
}
