import { EventEmitter } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { AccessLog, TelemetrySink } from '../telemetry/index.js';
import { writeAccessEntry } from './access-entry.js';
import { CertificateWatch, loadCertificatePair } from './certificate-watch.js';
import { Exchange, type ExchangeContext } from './exchange.js';
import type { ProxyErrorCode } from './errors.js';
import { appendForwarded, unmapIpv4 } from './forwarded.js';
import { filterRequestHeaders, type IncomingForwarded } from './hop-by-hop.js';
import type { OutcomeObserver } from './outcome-observer.js';
import { drainRequest, sendError } from './response.js';
import { matchRoute } from './router.js';
import { retireSnapshot, type ProxySnapshot } from './snapshot.js';
import { answerAndClose, openTunnel, type Tunnel } from './tunnel.js';

// The client-facing side of the data plane: Node's HTTP/1.1 server (llhttp rejects request
// smuggling shapes — Content-Length with Transfer-Encoding, duplicate Content-Length, bad header
// bytes — before any of our code runs), plain and TLS listeners, the current snapshot, and the
// bookkeeping needed to drain on shutdown.

/** Largest request head accepted; bigger ones get 431 (NGINX's large_client_header_buffers is 4×8k). */
export const MAX_HEADER_BYTES = 32 * 1024;
/**
 * Idle keep-alive client connections are closed after this long (NGINX's keepalive_timeout default).
 * A shorter one made a client's rarely used connections close and reopen in bursts under steady load.
 */
export const CLIENT_KEEP_ALIVE_MS = 75_000;
/** A client must send its whole request head within this long (slowloris). */
export const CLIENT_HEADERS_TIMEOUT_MS = 20_000;

/** Scratch for filterRequestHeaders: onRequest is synchronous, so one object serves every request. */
const SEEN: IncomingForwarded = { forwardedFor: undefined, forwardedProto: undefined, forwardedHost: undefined, host: undefined };

/** The operational log the proxy reports to (pino's Logger satisfies it). */
export interface ProxyLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface ProxyServerOptions {
  snapshot: ProxySnapshot;
  telemetry: TelemetrySink;
  outcomes: OutcomeObserver;
  accessLog?: AccessLog;
  /**
   * Add `Secure` to persistence cookies: true always, false never, undefined (the default) on
   * requests that arrived over TLS.
   */
  cookieSecure?: boolean;
  logger?: ProxyLogger;
}

/**
 * The proxy's listeners. Events: 'certificateReloaded' (certPath) after a renewed certificate is in
 * service, 'certificateError' (error, certPath) when a changed pair could not be loaded.
 */
export class ProxyServer extends EventEmitter implements ExchangeContext {
  readonly telemetry: TelemetrySink;
  readonly outcomes: OutcomeObserver;
  readonly accessLog: AccessLog | undefined;
  private readonly cookieSecure: boolean | undefined;
  private readonly logger: ProxyLogger | undefined;
  private current: ProxySnapshot;
  private readonly servers: Server[] = [];
  private readonly certificateWatches: CertificateWatch[] = [];
  private readonly tunnels = new Set<Tunnel>();
  private exchangeCount = 0;
  private closing: Promise<void> | undefined;
  private onDrained: (() => void) | undefined;

  constructor(options: ProxyServerOptions) {
    super();
    this.current = options.snapshot;
    this.telemetry = options.telemetry;
    this.outcomes = options.outcomes;
    this.accessLog = options.accessLog;
    this.cookieSecure = options.cookieSecure;
    this.logger = options.logger;
  }

  /** Requests and tunnels in flight. */
  get inflight(): number {
    return this.exchangeCount + this.tunnels.size;
  }

  get isClosing(): boolean {
    return this.closing !== undefined;
  }

  get snapshot(): ProxySnapshot {
    return this.current;
  }

  /** New requests use `snapshot` from now on; requests already running finish on theirs. */
  swap(snapshot: ProxySnapshot): void {
    this.current = snapshot;
  }

  listenHttp(host: string, port: number): Promise<AddressInfo> {
    const server = createHttpServer(serverOptions());
    this.attach(server, 'http');
    return listen(server, host, port);
  }

  /** An HTTPS listener; the certificate and key are reloaded when their files change. */
  listenHttps(host: string, port: number, certPath: string, keyPath: string): Promise<AddressInfo> {
    let pair;
    try {
      pair = loadCertificatePair(certPath, keyPath);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    const server = createHttpsServer({ ...serverOptions(), ...pair });
    this.attach(server, 'https');
    const watch = new CertificateWatch(
      certPath,
      keyPath,
      (next) => {
        server.setSecureContext(next);
        this.logger?.info({ certPath }, 'TLS certificate reloaded');
        this.emit('certificateReloaded', certPath);
      },
      (error) => {
        const fields = { certPath, keyPath, err: error };
        if (this.logger !== undefined) this.logger.warn(fields, 'TLS certificate changed but could not be loaded; keeping the previous one');
        else process.emitWarning(`TLS certificate ${certPath} changed but could not be loaded; keeping the previous one: ${error.message}`, { code: 'EK_PROXY_CERTIFICATE_INVALID' });
        this.emit('certificateError', error, certPath);
      },
    );
    watch.start();
    this.certificateWatches.push(watch);
    return listen(server, host, port);
  }

  /**
   * Stops accepting, lets in-flight requests finish for up to drainMs (idle keep-alive clients are
   * closed at once, busy ones after their response), then cuts what is left and closes upstreams.
   */
  close(drainMs: number): Promise<void> {
    this.closing ??= this.drainAndClose(drainMs);
    return this.closing;
  }

  // ---- ExchangeContext ---------------------------------------------------------------------------

  exchangeDone(): void {
    this.exchangeCount--;
    if (this.closing !== undefined) this.afterDoneWhileClosing();
  }

  tunnelDone(tunnel: Tunnel): void {
    this.tunnels.delete(tunnel);
    if (this.closing !== undefined) this.afterDoneWhileClosing();
  }

  // ---- request handling --------------------------------------------------------------------------

  private attach(server: Server, proto: 'http' | 'https'): void {
    server.on('request', proto === 'http' ? (req: IncomingMessage, res: ServerResponse) => this.onRequest(req, res, 'http') : (req: IncomingMessage, res: ServerResponse) => this.onRequest(req, res, 'https'));
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head, proto));
    server.on('clientError', (error: Error, socket: Duplex) => this.onClientError(error, socket));
    this.servers.push(server);
  }

  private onRequest(req: IncomingMessage, res: ServerResponse, proto: string): void {
    const snapshot = this.current;
    const headers = req.headers;
    if (headers.host === undefined && req.httpVersionMinor === 1) return this.answerAlone(req, res, '', 'EK_BAD_REQUEST', false);
    const path = originFormTarget(req.url as string);
    if (path === undefined) return this.answerAlone(req, res, '', 'EK_BAD_REQUEST', false);
    const route = matchRoute(snapshot.routes, headers.host, path, headers);
    const contentLength = headers['content-length'];
    const hasBody = headers['transfer-encoding'] !== undefined || (contentLength !== undefined && contentLength !== '0');
    if (route === undefined) return this.answerAlone(req, res, '', 'EK_NO_ROUTE', hasBody);
    const pool = snapshot.pools.get(route.poolName);
    if (pool === undefined) return this.answerAlone(req, res, route.poolName, 'EK_NO_ROUTE', hasBody);
    // A declared length over the limit is refused before any backend is involved; chunked bodies
    // are counted as they stream (exchange.ts).
    if (contentLength !== undefined && Number(contentLength) > snapshot.config.proxy.max_body_size) {
      return this.answerAlone(req, res, pool.name, 'EK_BODY_TOO_LARGE', hasBody);
    }

    const upstreamHeaders: string[] = [];
    const seen = SEEN;
    seen.forwardedFor = seen.forwardedProto = seen.forwardedHost = seen.host = undefined;
    filterRequestHeaders(req.rawHeaders, upstreamHeaders, seen);
    const peer = req.socket.remoteAddress;
    const peerIp = peer === undefined ? '' : unmapIpv4(peer);
    const isTrusted = snapshot.trustedProxies.has(peer);
    appendForwarded(upstreamHeaders, seen, peerIp, proto, isTrusted);
    // Behind a trusted balancer the client is the last X-Forwarded-For hop it vouches for; source-IP
    // persistence and the access log should see that client, not the balancer.
    const sourceIp = isTrusted && seen.forwardedFor !== undefined ? snapshot.trustedProxies.clientOf(seen.forwardedFor, peerIp) : peerIp;

    const exchange = new Exchange(this, snapshot, pool, req, res, upstreamHeaders, sourceIp, hasBody, this.cookieSecure ?? proto === 'https', path);
    this.exchangeCount++;
    exchange.start();
  }

  private answerAlone(req: IncomingMessage, res: ServerResponse, poolName: string, code: ProxyErrorCode, hasBody: boolean): void {
    sendError(res, code, this.closing !== undefined || code === 'EK_BAD_REQUEST');
    if (hasBody) drainRequest(req);
    this.telemetry.recordProxyError(poolName, code);
    if (this.accessLog !== undefined) {
      writeAccessEntry(this.accessLog, req, res.statusCode, poolName, '', 0, 0, 0, unmapIpv4(req.socket.remoteAddress ?? ''), false, code);
    }
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, proto: string): void {
    const snapshot = this.current;
    const route = matchRoute(snapshot.routes, req.headers.host, req.url as string, req.headers);
    const pool = route === undefined ? undefined : snapshot.pools.get(route.poolName);
    if (pool === undefined || this.closing !== undefined) {
      const code: ProxyErrorCode = pool === undefined ? 'EK_NO_ROUTE' : 'EK_NO_HEALTHY_BACKEND';
      this.telemetry.recordProxyError(pool?.name ?? '', code);
      answerAndClose(socket, code);
      return;
    }
    const sourceIp = unmapIpv4(req.socket.remoteAddress ?? '');
    const tunnel = openTunnel(this, snapshot, pool, req, socket, head, sourceIp, proto);
    if (tunnel !== undefined) this.tunnels.add(tunnel);
  }

  private onClientError(error: Error & { code?: string }, socket: Duplex): void {
    // Node's own handler would answer too, but without saying why; ours names the cause.
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const inProgress = (socket as Duplex & { _httpMessage?: ServerResponse })._httpMessage;
    if (inProgress !== undefined && inProgress !== null && inProgress.headersSent) {
      socket.destroy();
      return;
    }
    const code: ProxyErrorCode =
      error.code === 'HPE_HEADER_OVERFLOW' ? 'EK_HEADERS_TOO_LARGE' : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'EK_CLIENT_IDLE_TIMEOUT' : 'EK_BAD_REQUEST';
    this.telemetry.recordProxyError('', code);
    answerAndClose(socket, code);
  }

  // ---- shutdown ----------------------------------------------------------------------------------

  private async drainAndClose(drainMs: number): Promise<void> {
    for (const watch of this.certificateWatches) watch.stop();
    const closed = this.servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())));
    for (const server of this.servers) server.closeIdleConnections();
    if (this.inflight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, drainMs);
        this.onDrained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.onDrained = undefined;
    }
    for (const server of this.servers) server.closeAllConnections();
    for (const tunnel of [...this.tunnels]) tunnel.destroy();
    await Promise.all(closed);
    await retireSnapshot(this.current, undefined);
  }

  private afterDoneWhileClosing(): void {
    // A keep-alive connection whose response was already under way when close() began stays
    // open after it; close it now that it is idle.
    for (const server of this.servers) server.closeIdleConnections();
    if (this.inflight === 0) this.onDrained?.();
  }
}

/**
 * The request target in origin form ("/path?query"). RFC 9112 §3.2.2 requires servers to accept
 * the absolute form ("http://host/path") too; it is reduced to its path. Anything else ("*",
 * authority form outside CONNECT) cannot be forwarded: undefined.
 */
export function originFormTarget(target: string): string | undefined {
  if (target.charCodeAt(0) === 47 /* / */) return target;
  if (!/^https?:\/\//i.test(target)) return undefined;
  try {
    const url = new URL(target);
    return url.pathname + url.search;
  } catch {
    return undefined;
  }
}

function serverOptions() {
  return {
    maxHeaderSize: MAX_HEADER_BYTES,
    // Bodies are bounded by timeouts.idle between chunks (exchange.ts), not by a total, so that
    // a large upload on a slow link is not cut off while it still moves.
    requestTimeout: 0,
    headersTimeout: CLIENT_HEADERS_TIMEOUT_MS,
    keepAliveTimeout: CLIENT_KEEP_ALIVE_MS,
    // RFC 9112 §3.2: an HTTP/1.1 request without Host is answered 400; we do it (onRequest) so the
    // answer carries x-evenkeel-error like every other refusal.
    requireHostHeader: false,
    noDelay: true,
  };
}

function listen(server: Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}
