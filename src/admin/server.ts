import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import type { Registry } from 'prom-client';
import type { Telemetry } from '../telemetry/index.js';
import { AdminError, type AdminErrorCode } from './errors.js';
import { describePools, type AdminPoolSource } from './pools-view.js';

export interface AdminServerOptions {
  /** From `admin.listen`; 127.0.0.1 by default so the API is not exposed by accident. */
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** From createMetricsRegistry(); served at /metrics. */
  registry: Registry;
  telemetry: Telemetry;
  /** The live pools; called per request, so a reload shows at once. */
  pools: () => Iterable<AdminPoolSource>;
  /** Told about a route that failed (the client gets EK_ADMIN_INTERNAL); the node logs it. */
  onError?: (error: unknown) => void;
}

export interface AdminServer {
  readonly address: AddressInfo;
  close(): Promise<void>;
}

/**
 * The admin API: /metrics (Prometheus), /healthz and /api/v1/pools. Read-only for now; mutating
 * routes come with tokens and roles. Fastify's request logging is off: /metrics is scraped every
 * few seconds and would drown the node's log.
 */
export async function startAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const app = Fastify({ logger: false });

  app.get('/', async (_request, reply) => reply.redirect('/api/v1/pools'));
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/metrics', async (_request, reply) => {
    const body = await options.registry.metrics();
    return reply.type(options.registry.contentType).send(body);
  });
  app.get('/api/v1/pools', async () => describePools(options.pools(), options.telemetry));

  app.setNotFoundHandler(async (request, reply) =>
    reply.code(404).send({ code: 'EK_ADMIN_NOT_FOUND', message: `no admin route ${request.method} ${request.url}; see /api/v1/pools, /metrics or /healthz` }),
  );
  app.setErrorHandler(async (error, _request, reply) => {
    const statusCode = (error as { statusCode?: number }).statusCode;
    // Client errors found by Fastify itself (a malformed request) keep their status and code.
    if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) {
      return reply.code(statusCode).send({ code: (error as { code?: string }).code ?? ('EK_ADMIN_BAD_REQUEST' satisfies AdminErrorCode), message: (error as Error).message });
    }
    options.onError?.(error);
    return reply.code(500).send({ code: 'EK_ADMIN_INTERNAL', message: 'the admin API failed on this request; the node log has the details' });
  });

  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (error) {
    await app.close();
    const reason = (error as { code?: string }).code ?? (error as Error).message;
    throw new AdminError('EK_ADMIN_LISTEN_FAILED', `admin API cannot listen on ${options.host}:${options.port} (${reason}); change admin.listen or free the port`, { cause: error });
  }
  return {
    address: app.server.address() as AddressInfo,
    close: () => app.close(),
  };
}
