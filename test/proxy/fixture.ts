// Shared set-up for proxy tests: real backends and a real ProxyServer on 127.0.0.1, ephemeral ports.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { configSchema, type Config, type ConfigInput } from '../../src/config/index.js';
import { createPicker, type BackendState } from '../../src/balance/index.js';
import { buildSnapshot, ProxyServer, type ProxyServerOptions, type ProxySnapshot } from '../../src/proxy/index.js';
import type { BackendKey, TelemetrySink } from '../../src/telemetry/sink.js';

export interface RecordedRequest {
  backend: string;
  statusCode: number;
  bytesIn: number;
  bytesOut: number;
}

/** A TelemetrySink that keeps what it was told. */
export class RecordingTelemetry implements TelemetrySink {
  readonly requests: RecordedRequest[] = [];
  readonly proxyErrors: { pool: string; code: string }[] = [];
  recordRequest(backend: BackendKey, statusCode: number, _latencyMs: number, bytesIn: number, bytesOut: number): void {
    this.requests.push({ backend: backend.id, statusCode, bytesIn, bytesOut });
  }
  recordProxyError(pool: string, code: string): void {
    this.proxyErrors.push({ pool, code });
  }
}

export class RecordingOutcomes {
  readonly outcomes: { backend: string; isFailure: boolean }[] = [];
  recordOutcome(backend: BackendState, isFailure: boolean): void {
    this.outcomes.push({ backend: backend.id, isFailure });
  }
}

export interface Backend {
  server: Server;
  port: number;
  url: string;
  /** Requests that reached this backend's handler. */
  hits: IncomingMessage[];
  close(): Promise<void>;
}

/** Starts an HTTP backend on 127.0.0.1 with the given handler. */
export async function startBackend(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Backend> {
  const hits: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    hits.push(req);
    handler(req, res);
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

export function parseConfig(input: ConfigInput): Config {
  return configSchema.parse(input);
}

/** A one-pool config in front of the given backend URLs. */
export function poolConfig(urls: string[], extra: { pool?: Record<string, unknown>; proxy?: Record<string, unknown> } = {}): Config {
  return parseConfig({
    pools: { web: { backends: urls.map((url, i) => ({ id: `b${i + 1}`, url })), ...(extra.pool ?? {}) } },
    proxy: extra.proxy ?? {},
  } as ConfigInput);
}

export interface RunningProxy {
  server: ProxyServer;
  snapshot: ProxySnapshot;
  port: number;
  url: string;
  telemetry: RecordingTelemetry;
  outcomes: RecordingOutcomes;
  close(): Promise<void>;
}

export function makeSnapshot(config: Config, previous?: ProxySnapshot): ProxySnapshot {
  return buildSnapshot(config, previous, (pool, members) => createPicker(pool, members, { cookieSecret: 'test-secret-0123456789' }));
}

export async function startProxy(config: Config, extra: Partial<ProxyServerOptions> = {}): Promise<RunningProxy> {
  const telemetry = new RecordingTelemetry();
  const outcomes = new RecordingOutcomes();
  const snapshot = makeSnapshot(config);
  const server = new ProxyServer({ snapshot, telemetry, outcomes, ...extra });
  const address = await server.listenHttp('127.0.0.1', 0);
  return {
    server,
    snapshot,
    port: address.port,
    url: `http://127.0.0.1:${address.port}`,
    telemetry,
    outcomes,
    close: () => server.close(1000),
  };
}

/** Writes raw bytes to a port and collects everything until the server closes (bounded by timeoutMs). */
export function rawExchange(port: number, text: string | Buffer, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    }, timeoutMs);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', (error) => {
      clearTimeout(timer);
      if (chunks.length > 0) resolve(Buffer.concat(chunks).toString('latin1'));
      else reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    socket.write(text);
  });
}

/** Waits until `condition` holds, checking on every turn of the event loop; bounded by timeoutMs. */
export async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * A backend URL whose connection never completes, for connect timeouts on 127.0.0.1 with nothing
 * but Node: an https:// URL on a TCP server that accepts and then stays silent, so the TLS
 * handshake, which undici's connect timeout covers, never finishes.
 */
export async function startBlackhole(): Promise<{ url: string; close(): Promise<void> }> {
  const { createServer: createTcpServer } = await import('node:net');
  const sockets = new Set<import('node:net').Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port on 127.0.0.1 that refuses connections (it was just listened on and closed). */
export async function refusingPort(): Promise<number> {
  const backend = await startBackend(() => undefined);
  await backend.close();
  return backend.port;
}
