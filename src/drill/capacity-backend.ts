import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DrillError } from './errors.js';
import { logNormalSampler, seededRandom, type Random } from './seeded-random.js';

// A synthetic backend that behaves like a real server under load: it serves at most `maxConcurrency`
// requests at once and queues the rest, so when too much traffic lands on it its latency grows with
// the queue, as the portal's two overloaded servers did on 2024-05-01. Service times are log-normal
// (a median and a p99), drawn from a seeded generator so a drill replays the same way. /healthz
// answers at once, outside the queue, like a health endpoint served by a separate thread: a slow
// server still looks healthy, which is exactly why the incident was hard to see. crash() makes it
// unreachable (health checks fail); restart() brings it back on the same port.

export interface ServiceTime {
  readonly medianMs: number;
  readonly p99Ms: number;
}

export interface CapacityModel {
  /** Requests served at once; the rest wait in a first-in, first-out queue. */
  readonly maxConcurrency: number;
  readonly serviceTime: ServiceTime;
  /** Share of requests (0..1) answered 500 after their service time. */
  readonly errorRate: number;
}

export interface CapacityBackendOptions extends Partial<CapacityModel> {
  /** Named in every response's `x-backend` header and body. */
  readonly name: string;
  /** 0 (default) picks a free port; restart() reuses whatever port was bound. */
  readonly port?: number;
  readonly seed?: number;
}

/** What a backend has done since it started (or since resetCounts()). */
export interface BackendCounts {
  /** Requests that arrived (health checks excluded), served or not yet: the load routed here. */
  readonly received: number;
  /** Requests answered (any status), health checks excluded. */
  readonly served: number;
  readonly errors: number;
  readonly healthChecks: number;
  /** The longest the queue has been. */
  readonly maxQueued: number;
  /** Sum of time spent waiting in the queue, to tell queueing from service. */
  readonly queuedMsTotal: number;
}

interface WaitingRequest {
  readonly response: http.ServerResponse;
  readonly arrivedMs: number;
}

const DEFAULT_MODEL: CapacityModel = { maxConcurrency: 16, serviceTime: { medianMs: 5, p99Ms: 25 }, errorRate: 0 };

export class CapacityBackend {
  readonly name: string;
  private readonly server: http.Server;
  private readonly random: Random;
  private model: CapacityModel;
  private drawServiceMs: () => number;
  private readonly queue: WaitingRequest[] = [];
  private queueHead = 0;
  private serving = 0;
  private boundPort = 0;
  private isListening = false;
  private counts = { received: 0, served: 0, errors: 0, healthChecks: 0, maxQueued: 0, queuedMsTotal: 0 };

  private constructor(options: CapacityBackendOptions) {
    this.name = options.name;
    this.random = seededRandom(options.seed ?? 1);
    this.model = checkModel({
      maxConcurrency: options.maxConcurrency ?? DEFAULT_MODEL.maxConcurrency,
      serviceTime: options.serviceTime ?? DEFAULT_MODEL.serviceTime,
      errorRate: options.errorRate ?? DEFAULT_MODEL.errorRate,
    });
    this.drawServiceMs = logNormalSampler(this.model.serviceTime.medianMs, this.model.serviceTime.p99Ms, this.random);
    this.server = http.createServer((request, response) => this.onRequest(request, response));
    this.server.keepAliveTimeout = 65_000;
  }

  /** Starts a backend listening on 127.0.0.1. */
  static async start(options: CapacityBackendOptions): Promise<CapacityBackend> {
    const backend = new CapacityBackend(options);
    await backend.listen(options.port ?? 0);
    return backend;
  }

  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    return `http://127.0.0.1:${this.boundPort}`;
  }

  /** Requests being served now (at most maxConcurrency). */
  get inflight(): number {
    return this.serving;
  }

  /** Requests waiting for a slot now. */
  get queued(): number {
    return this.queue.length - this.queueHead;
  }

  get capacity(): CapacityModel {
    return this.model;
  }

  counters(): BackendCounts {
    return { ...this.counts };
  }

  resetCounts(): void {
    this.counts = { received: 0, served: 0, errors: 0, healthChecks: 0, maxQueued: 0, queuedMsTotal: 0 };
  }

  /** Changes the capacity model at run time (a slow-down, an error burst); queued requests keep their place. */
  set(change: Partial<CapacityModel>): void {
    this.model = checkModel({ ...this.model, ...stripUndefined(change) });
    this.drawServiceMs = logNormalSampler(this.model.serviceTime.medianMs, this.model.serviceTime.p99Ms, this.random);
    this.startWaiting();
  }

  /** The process dies: the listener closes and every open connection is cut, queued requests too. */
  async crash(): Promise<void> {
    for (let i = this.queueHead; i < this.queue.length; i++) this.queue[i].response.destroy();
    this.queue.length = 0;
    this.queueHead = 0;
    await this.close();
  }

  /** Comes back after crash() on the same port. */
  async restart(): Promise<void> {
    if (!this.isListening) await this.listen(this.boundPort);
  }

  /** Stops listening and closes every connection. */
  stop(): Promise<void> {
    return this.crash();
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(new DrillError('EK_DRILL_LISTEN', `backend ${this.name} could not listen on 127.0.0.1:${port}: ${error.message}`, { cause: error }));
      this.server.once('error', onError);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', onError);
        this.boundPort = (this.server.address() as AddressInfo).port;
        this.isListening = true;
        resolve();
      });
    });
  }

  private close(): Promise<void> {
    if (!this.isListening) return Promise.resolve();
    this.isListening = false;
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private onRequest(request: http.IncomingMessage, response: http.ServerResponse): void {
    // Drain the body before answering so keep-alive connections stay reusable.
    request.resume();
    if (request.url === '/healthz') {
      this.counts.healthChecks++;
      request.once('end', () => reply(response, 200, this.name, 'ok\n'));
      return;
    }
    request.once('end', () => {
      this.counts.received++;
      this.queue.push({ response, arrivedMs: performance.now() });
      this.counts.maxQueued = Math.max(this.counts.maxQueued, this.queued);
      this.startWaiting();
    });
  }

  /** Moves queued requests into free service slots. */
  private startWaiting(): void {
    while (this.serving < this.model.maxConcurrency && this.queueHead < this.queue.length) {
      const waiting = this.queue[this.queueHead++];
      if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
        this.queue.splice(0, this.queueHead);
        this.queueHead = 0;
      }
      if (waiting.response.destroyed) continue; // the client gave up while it waited
      this.counts.queuedMsTotal += performance.now() - waiting.arrivedMs;
      this.serving++;
      const isError = this.model.errorRate > 0 && this.random() < this.model.errorRate;
      setTimeout(() => this.finish(waiting.response, isError), this.drawServiceMs());
    }
  }

  private finish(response: http.ServerResponse, isError: boolean): void {
    this.serving--;
    if (!response.destroyed) {
      this.counts.served++;
      if (isError) this.counts.errors++;
      reply(response, isError ? 500 : 200, this.name, isError ? `error from ${this.name}\n` : `served by ${this.name}\n`);
    }
    this.startWaiting();
  }
}

function reply(response: http.ServerResponse, status: number, name: string, body: string): void {
  response.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body), 'x-backend': name });
  response.end(body);
}

function checkModel(model: CapacityModel): CapacityModel {
  if (!Number.isInteger(model.maxConcurrency) || model.maxConcurrency < 1) {
    throw new DrillError('EK_DRILL_INVALID_OPTION', `expected maxConcurrency to be a whole number >= 1, got ${model.maxConcurrency}`);
  }
  if (!(model.errorRate >= 0 && model.errorRate <= 1)) throw new DrillError('EK_DRILL_INVALID_OPTION', `expected errorRate from 0 to 1, got ${model.errorRate}`);
  logNormalSampler(model.serviceTime.medianMs, model.serviceTime.p99Ms, Math.random); // validates the pair
  return model;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as Partial<T>;
}
