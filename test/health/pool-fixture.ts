import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BackendState, PoolMembers } from '../../src/balance/index.js';
import { poolSchema, type PoolConfig } from '../../src/config/index.js';
import type { HealthEvent } from '../../src/health/index.js';

// Shared by the health/ tests: pools built from the real schema (so defaults and millisecond
// durations are the ones users get), a clock the test moves by hand, and a real HTTP backend on
// 127.0.0.1 whose check answers the test controls.

export interface PoolFixture {
  members: PoolMembers;
  config: PoolConfig;
}

/** A pool named `name` from YAML-shaped input (`backends` of { id, weight? }); urls are placeholders unless given. */
export function makePool(name: string, input: Record<string, unknown> & { backends: Array<{ id: string; url?: string; weight?: number; drain?: boolean }> }): PoolFixture {
  const backends = input.backends.map((backend, index) => ({ url: `http://127.0.0.1:${10_000 + index}`, ...backend }));
  const config = poolSchema.parse({ ...input, backends });
  const states = config.backends.map((backend) => {
    const state = new BackendState(name, backend.id, backend.url, backend.weight);
    state.isDraining = backend.drain;
    return state;
  });
  return { members: new PoolMembers(name, states), config };
}

export function backendOf(pool: PoolFixture, id: string): BackendState {
  const state = pool.members.backends.find((backend) => backend.id === id);
  if (state === undefined) throw new Error(`no backend ${id} in pool ${pool.members.name}`);
  return state;
}

/** A clock in milliseconds that only moves when told. */
export class ManualClock {
  nowMs = 1_000_000;
  readonly now = (): number => this.nowMs;
  advance(ms: number): void {
    this.nowMs += ms;
  }
}

/** Collects health events and lets a test await the next one of a kind. */
export class EventLog {
  readonly events: HealthEvent[] = [];
  private waiters: Array<{ match: (event: HealthEvent) => boolean; resolve: (event: HealthEvent) => void }> = [];

  readonly record = (event: HealthEvent): void => {
    this.events.push(event);
    this.waiters = this.waiters.filter((waiter) => {
      if (!waiter.match(event)) return true;
      waiter.resolve(event);
      return false;
    });
  };

  kinds(): string[] {
    return this.events.map((event) => `${event.backend}:${event.kind}`);
  }

  /** Resolves with the first event (past or future) of this backend and kind, or rejects after `timeoutMs`. */
  next(backend: string, kind: HealthEvent['kind'], after = 0, timeoutMs = 5_000): Promise<HealthEvent> {
    const match = (event: HealthEvent) => event.backend === backend && event.kind === kind;
    const seen = this.events.slice(after).find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${kind} event for ${backend} within ${timeoutMs}ms; saw ${this.kinds().join(', ')}`)), timeoutMs);
      this.waiters.push({
        match,
        resolve: (event) => {
          clearTimeout(timer);
          resolve(event);
        },
      });
    });
  }
}

/** A backend on 127.0.0.1 that answers checks with `status` (or never, when `isSilent`). */
export class CheckedBackend {
  status = 200;
  isSilent = false;
  checks = 0;
  lastHeaders: IncomingHttpHeaders | undefined;
  lastPath: string | undefined;
  private readonly server: Server;
  private checkWaiters: Array<{ count: number; resolve: () => void }> = [];

  private constructor(server: Server) {
    this.server = server;
  }

  static async start(): Promise<CheckedBackend> {
    const server = createServer();
    const backend = new CheckedBackend(server);
    server.on('request', (request, response) => {
      backend.checks++;
      backend.lastHeaders = request.headers;
      backend.lastPath = request.url;
      backend.checkWaiters = backend.checkWaiters.filter((waiter) => {
        if (backend.checks < waiter.count) return true;
        waiter.resolve();
        return false;
      });
      if (backend.isSilent) return;
      response.writeHead(backend.status, { 'content-type': 'text/plain' });
      response.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return backend;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Resolves once the backend has seen `count` checks in total. */
  waitForChecks(count: number, timeoutMs = 5_000): Promise<void> {
    if (this.checks >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`saw ${this.checks} checks, expected ${count} within ${timeoutMs}ms`)), timeoutMs);
      this.checkWaiters.push({
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
