// Alerts, a receiving HTTP server on 127.0.0.1 and a recording logger for the notifier tests.
import { EventEmitter, once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorSchema, type MonitorConfig } from '../../../src/config/index.js';
import type { Alert, AlertState, AlertTransition } from '../../../src/monitor/alert.js';

export const T0 = Date.parse('2026-11-29T09:58:00Z');

/** The postmortem's alert, in the given state. */
export function skewAlert(state: AlertState, overrides: Partial<Alert> = {}): Alert {
  return {
    fingerprint: 'skew/portal/*',
    rule: 'skew',
    severity: 'critical',
    pool: 'portal',
    backend: undefined,
    state,
    startedAt: T0,
    firingAt: state === 'pending' ? undefined : T0 + 3000,
    resolvedAt: state === 'resolved' ? T0 + 60_000 : undefined,
    summary: 'Traffic normal (1,020 rps, baseline 1,000). web-1 and web-2 carry 81% of requests, expected 40%.',
    evidence: { observedShare: 0.81, expectedShare: 0.4, pinnedShare: 0.74, persistence: 'cookie', requests: 30_600 },
    backends: ['web-1', 'web-2'],
    causes: [
      { kind: 'config_change', summary: "change 42 (automation 'weights.sh', 09:58) raised web-1 and web-2 weights 100 -> 400", score: 0.9, changeId: 42, version: 7 },
      { kind: 'persistence', summary: '74% of their requests are pinned by cookie persistence', score: 0.6 },
    ],
    actions: [],
    ...overrides,
  };
}

export function transitionTo(to: AlertState, overrides: Partial<Alert> = {}): AlertTransition {
  const from: AlertState | undefined = to === 'pending' ? undefined : to === 'firing' ? 'pending' : 'firing';
  const alert = skewAlert(to, overrides);
  return { alert, from, to, at: alert.resolvedAt ?? alert.firingAt ?? alert.startedAt };
}

/** The monitor section with its defaults, plus the given receivers. */
export function monitorConfig(section: object): MonitorConfig {
  return monitorSchema.parse(section);
}

/** A status for `respond` that leaves the request unanswered. */
export const NO_ANSWER = -1;

export interface ReceivedRequest {
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** An HTTP server that records every request and answers with what `respond` says (a status). */
export class ReceivingServer extends EventEmitter {
  readonly requests: ReceivedRequest[] = [];
  readonly #server: http.Server;
  #respond: (request: ReceivedRequest, index: number) => number;

  private constructor(respond: (request: ReceivedRequest, index: number) => number) {
    super();
    this.#respond = respond;
    this.#server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const received = { url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        const index = this.requests.push(received) - 1;
        const status = this.#respond(received, index);
        this.emit('request', received);
        if (status === NO_ANSWER) return; // held open: the client's timeout must fire
        res.statusCode = status;
        res.end(res.statusCode < 300 ? 'ok' : 'no');
      });
    });
  }

  static async start(respond: (request: ReceivedRequest, index: number) => number = () => 200): Promise<ReceivingServer> {
    const server = new ReceivingServer(respond);
    server.#server.listen(0, '127.0.0.1');
    await once(server.#server, 'listening');
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/hook`;
  }

  /** Resolves once `count` requests have arrived in all (bounded by timeoutMs). */
  async waitForRequests(count: number, timeoutMs = 5000): Promise<void> {
    const deadline = AbortSignal.timeout(timeoutMs);
    while (this.requests.length < count) {
      try {
        await once(this, 'request', { signal: deadline });
      } catch {
        throw new Error(`expected ${count} requests within ${timeoutMs} ms, got ${this.requests.length}`);
      }
    }
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

export interface LogLine {
  readonly level: 'warn' | 'error';
  readonly obj: Record<string, unknown>;
  readonly msg: string;
}

/** A logger that keeps what it was told. */
export function recordingLogger() {
  const lines: LogLine[] = [];
  const events = new EventEmitter();
  const record = (level: LogLine['level'], obj: object, msg: string) => {
    lines.push({ level, obj: obj as Record<string, unknown>, msg });
    events.emit('line');
  };
  return {
    lines,
    warn: (obj: object, msg: string) => record('warn', obj, msg),
    error: (obj: object, msg: string) => record('error', obj, msg),
    /** Resolves once `count` lines have been logged in all (bounded by timeoutMs). */
    async waitForLines(count: number, timeoutMs = 5000): Promise<void> {
      const deadline = AbortSignal.timeout(timeoutMs);
      while (lines.length < count) {
        try {
          await once(events, 'line', { signal: deadline });
        } catch {
          throw new Error(`expected ${count} log lines within ${timeoutMs} ms, got ${lines.length}`);
        }
      }
    },
  };
}
