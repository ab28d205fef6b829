import { connect as connectTcp, isIP, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { acquire, release, resetOutcome, selectableWeight, type BackendState, type PickOutcome } from '../balance/index.js';
import { writeAccessEntry } from './access-entry.js';
import type { ExchangeContext } from './exchange.js';
import { rawErrorResponse, type ProxyErrorCode } from './errors.js';
import { appendForwarded } from './forwarded.js';
import { filterRequestHeaders, type IncomingForwarded } from './hop-by-hop.js';
import type { PoolRuntime, ProxySnapshot } from './snapshot.js';

// An upgraded connection (WebSocket, h2c, anything with `Upgrade:`): after the handshake the proxy
// is a byte pipe, so it opens a raw TCP (or TLS) connection to the backend, replays the request
// head and splices the two sockets, as HAProxy does in tunnel mode. Upgrades are rare next to
// plain requests, so this path favours plainness over the allocation discipline of exchange.ts.

/** One spliced client ↔ backend connection. */
export class Tunnel {
  readonly client: Duplex;
  private upstream: Socket | undefined;
  private readonly context: ExchangeContext;
  private readonly pool: PoolRuntime;
  private readonly backend: BackendState;
  private readonly outcome: PickOutcome;
  private readonly startMs = performance.now();
  private readonly sourceIp: string;
  private isConnected = false;
  private isSettled = false;
  private isAnswering = false;
  private req: IncomingMessage | undefined;
  private statusCode = 0;
  private latencyMs = 0;
  private bytesIn = 0;
  private bytesOut = 0;
  private errorCode: ProxyErrorCode | undefined;

  constructor(context: ExchangeContext, pool: PoolRuntime, backend: BackendState, outcome: PickOutcome, client: Duplex, sourceIp: string) {
    this.context = context;
    this.pool = pool;
    this.backend = backend;
    this.outcome = outcome;
    this.client = client;
    this.sourceIp = sourceIp;
  }

  /** Connects to the backend and replays the request head; `head` is what the client sent after it. */
  open(snapshot: ProxySnapshot, req: IncomingMessage, head: Buffer, proto: string): void {
    this.req = req;
    const upstreamPool = snapshot.upstreamOf.get(this.backend);
    if (upstreamPool === undefined) return this.fail('EK_UPSTREAM_CONNECT_FAILED');
    const { timeouts } = snapshot.config.proxy;
    const upstream = upstreamPool.isTls
      ? connectTls({ host: upstreamPool.hostname, port: upstreamPool.port, servername: isIP(upstreamPool.hostname) === 0 ? upstreamPool.hostname : undefined, ALPNProtocols: ['http/1.1'] })
      : connectTcp({ host: upstreamPool.hostname, port: upstreamPool.port });
    this.upstream = upstream;
    upstream.setNoDelay(true);
    upstream.setTimeout(timeouts.connect);
    upstream.once(upstreamPool.isTls ? 'secureConnect' : 'connect', () => {
      this.isConnected = true;
      upstream.setTimeout(timeouts.idle);
      (this.client as Socket).setTimeout(timeouts.idle);
      upstream.write(requestHead(req, snapshot, this.sourceIp, proto));
      if (head.length > 0) upstream.write(head);
      upstream.once('data', (chunk: Buffer) => this.onFirstResponseBytes(chunk));
      upstream.on('data', (chunk: Buffer) => (this.bytesOut += chunk.length));
      this.client.on('data', (chunk: Buffer) => (this.bytesIn += chunk.length));
      upstream.pipe(this.client as NodeJS.WritableStream);
      this.client.pipe(upstream);
    });
    upstream.on('timeout', () => this.fail(this.isConnected ? 'EK_UPSTREAM_IDLE_TIMEOUT' : 'EK_UPSTREAM_CONNECT_TIMEOUT'));
    this.client.on('timeout', () => this.fail('EK_UPSTREAM_IDLE_TIMEOUT'));
    upstream.on('error', () => this.fail(this.isConnected ? 'EK_UPSTREAM_RESET' : 'EK_UPSTREAM_CONNECT_FAILED'));
    upstream.on('close', () => this.close());
    this.client.on('error', () => this.close());
    this.client.on('close', () => this.close());
  }

  /** Ends both sides (server shutdown). */
  destroy(): void {
    this.close();
  }

  private onFirstResponseBytes(chunk: Buffer): void {
    this.latencyMs = performance.now() - this.startMs;
    // "HTTP/1.1 101 Switching Protocols": the status is at bytes 9-11.
    const status = Number(chunk.toString('latin1', 9, 12));
    this.statusCode = Number.isInteger(status) && status >= 100 ? status : 502;
    this.context.outcomes.recordOutcome(this.backend, this.statusCode >= 500);
  }

  private fail(code: ProxyErrorCode): void {
    if (this.isSettled) return;
    this.errorCode = code;
    if (this.statusCode === 0) {
      this.context.outcomes.recordOutcome(this.backend, true);
      this.statusCode = code === 'EK_UPSTREAM_CONNECT_TIMEOUT' || code === 'EK_UPSTREAM_IDLE_TIMEOUT' ? 504 : 502;
      if (this.client.writable) {
        this.isAnswering = true;
        answerAndClose(this.client, code);
      }
    }
    this.close();
  }

  private close(): void {
    if (this.isSettled) return;
    this.isSettled = true;
    this.upstream?.destroy();
    if (!this.isAnswering) this.client.destroy();
    release(this.pool.members, this.backend);
    this.pool.queue.wake();
    if (this.latencyMs === 0) this.latencyMs = performance.now() - this.startMs;
    const status = this.statusCode === 0 ? 499 : this.statusCode;
    this.context.telemetry.recordRequest(this.backend, status, this.latencyMs, this.bytesIn, this.bytesOut, this.outcome.isPinned, this.outcome.isSpilled);
    if (this.context.accessLog !== undefined && this.req !== undefined) {
      writeAccessEntry(this.context.accessLog, this.req, status, this.pool.name, this.backend.id, this.latencyMs, this.bytesIn, this.bytesOut, this.sourceIp, this.outcome.isPinned, this.errorCode ?? '');
    }
    this.context.tunnelDone(this);
  }
}

/** Writes a raw error response on a socket that is not (or no longer) an HTTP response, then closes it once flushed. */
export function answerAndClose(socket: Duplex, code: ProxyErrorCode): void {
  socket.write(rawErrorResponse(code));
  const net = socket as Socket;
  if (typeof net.destroySoon === 'function') net.destroySoon();
  else socket.end();
}

/** Picks a backend for an upgrade and opens the tunnel, or answers the client with an error. */
export function openTunnel(context: ExchangeContext, snapshot: ProxySnapshot, pool: PoolRuntime, req: IncomingMessage, client: Duplex, head: Buffer, sourceIp: string, proto: string): Tunnel | undefined {
  const outcome: PickOutcome = { isPinned: false, isSpilled: false, setCookie: undefined };
  resetOutcome(outcome);
  const request = { sourceIp, path: req.url as string, headers: req.headers };
  const backend = pool.picker.pick(request, outcome, undefined);
  if (backend === undefined) {
    const code: ProxyErrorCode = pool.members.backends.some((b) => selectableWeight(pool.members, b) > 0) ? 'EK_QUEUE_FULL' : 'EK_NO_HEALTHY_BACKEND';
    context.telemetry.recordProxyError(pool.name, code);
    answerAndClose(client, code);
    return undefined;
  }
  acquire(pool.members, backend);
  context.telemetry.recordPick?.(pool.name, Date.now(), pool.sampleKey.hash(request), backend.id, pool.members.totalInflight, outcome.isPinned, outcome.isSpilled);
  const tunnel = new Tunnel(context, pool, backend, outcome, client, sourceIp);
  tunnel.open(snapshot, req, head, proto);
  return tunnel;
}

/** The request line and headers to replay upstream: hop-by-hop removed, then Upgrade put back. */
function requestHead(req: IncomingMessage, snapshot: ProxySnapshot, sourceIp: string, proto: string): string {
  const headers: string[] = [];
  const seen: IncomingForwarded = { forwardedFor: undefined, forwardedProto: undefined, forwardedHost: undefined, host: undefined };
  filterRequestHeaders(req.rawHeaders, headers, seen);
  appendForwarded(headers, seen, sourceIp, proto, snapshot.trustedProxies.has(req.socket.remoteAddress));
  let head = `${req.method} ${req.url} HTTP/1.1\r\n`;
  for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
  head += `connection: upgrade\r\nupgrade: ${req.headers.upgrade ?? 'websocket'}\r\n\r\n`;
  return head;
}
