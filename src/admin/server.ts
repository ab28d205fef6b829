import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyError, type RouteOptions } from 'fastify';
import fastifySwagger from '@fastify/swagger';
import type { Registry } from 'prom-client';
import { ConfigError } from '../config/index.js';
import { ChangeError, ChangeRefusedError, EventLogError, TokenError, type Store } from '../control/index.js';
import type { ChangeService } from '../control/index.js';
import type { Telemetry } from '../telemetry/index.js';
import { identityOf, READ_ROLES, TokenAuthenticator } from './auth.js';
import { registerControlRoutes } from './control-routes.js';
import { AdminError, type AdminErrorCode } from './errors.js';
import { describePools, type AdminPoolSource } from './pools-view.js';
import { alertSchema, changeRequestSchema, errorSchema, authErrors, healthSchema, poolsSchema, statsSchema } from './schemas.js';
import { registerAlertRoutes, type AdminMonitorSource } from './alert-routes.js';
import { registerIncidentRoutes } from './incident-routes.js';
import { registerDrillRoutes, type AdminDrillSource } from './drill-routes.js';
import { registerFleetRoutes, type AdminFleetSource } from './fleet-routes.js';
import { registerDashboardRoutes } from './dashboard-route.js';
import { registerWhoamiRoute } from './whoami-route.js';
import { StatsStreams } from './stats-stream.js';
import { describeStats } from './stats-view.js';
import { compileValidator } from './validation.js';
import { buildLazySerializer } from './serialization.js';

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
  /** Tokens, config versions and the audit log. */
  store: Store;
  /** Change requests: propose, approve, apply, rollback. */
  changes: ChangeService;
  /** The node's monitor (alerts, traffic baseline); read per request. Without it /api/v1/alerts reads the store only. */
  monitor?: () => AdminMonitorSource | undefined;
  /** This node's fleet membership (PostgreSQL store); read per request. /healthz says `degraded` when its store is unreachable. */
  fleet?: () => AdminFleetSource | undefined;
  /** The node's drills (built-in scenarios, one running at a time); without it POST /api/v1/drills answers 503. */
  drills?: AdminDrillSource;
  /** Told about a route that failed (the client gets EK_ADMIN_INTERNAL); the node logs it. */
  onError?: (error: unknown) => void;
  /** Called with every route as it is registered (tests enumerate them). */
  onRoute?: (route: RouteOptions) => void;
  /** Milliseconds between two samples of /api/v1/stats/stream (default 1000). */
  statsIntervalMs?: number;
}

export interface AdminServer {
  readonly address: AddressInfo;
  /** Open /api/v1/stats/stream connections. */
  readonly openStreams: number;
  close(): Promise<void>;
}

const TOKEN_QUERY = { type: 'object', properties: { token: { type: 'string' } } } as const;

/**
 * The admin API (docs/admin-api.md): /metrics, /healthz and /api/v1/openapi.json are open; every other
 * route needs a bearer token whose role the route allows. Fastify's request logging is off: /metrics
 * is scraped every few seconds and would drown the node's log.
 */
export async function startAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const app = Fastify({ logger: false, bodyLimit: 2 * 1024 * 1024, schemaController: { compilersFactory: { buildSerializer: buildLazySerializer } } });
  const authenticator = new TokenAuthenticator(options.store);
  const streams = new StatsStreams();

  app.setValidatorCompiler(compileValidator);
  app.addSchema(errorSchema);
  app.addSchema(changeRequestSchema);
  app.addSchema(alertSchema);
  app.addHook('onRoute', (route) => {
    // A route that forgets to say who may call it would be open: refuse to start instead.
    if (route.config?.access === undefined && !route.url.startsWith('/api/v1/openapi')) {
      throw new Error(`admin route ${String(route.method)} ${route.url} has no config.access`);
    }
    options.onRoute?.(route);
  });
  app.addHook('onRequest', authenticator.onRequest);
  // Long-lived event streams would hold the listener open; end them before the server closes.
  app.addHook('preClose', (done) => {
    streams.closeAll();
    done();
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'evenkeel admin API', version: 'v1', description: 'Config versions, guarded changes, tokens, the audit log and live stats. See docs/admin-api.md.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A token from `evenkeel token create` (or the bootstrap admin token)' } } },
      security: [{ bearer: [] }],
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });

  const open = { access: 'public' } as const;
  const noSecurity = { security: [] as never[] };
  registerDashboardRoutes(app);
  app.get('/healthz', { config: open, schema: { ...noSecurity, summary: 'Liveness', tags: ['node'], response: { 200: healthSchema } } }, async () => {
    // Still 200 when degraded: a node that cannot reach the store serves on its last config, and a
    // layer-4 balancer must not take it out for that (docs/fleet.md).
    const degraded = options.fleet?.()?.degradedReason();
    return degraded === undefined ? { status: 'ok' } : { status: 'degraded', reasons: [degraded] };
  });
  app.get('/metrics', { config: open, schema: { ...noSecurity, summary: 'Prometheus metrics', tags: ['node'] } }, async (_request, reply) => {
    const body = await options.registry.metrics();
    return reply.type(options.registry.contentType).send(body);
  });
  app.get('/api/v1/openapi.json', { config: open, schema: { hide: true } }, async () => app.swagger());

  app.get('/api/v1/pools', {
    config: { access: READ_ROLES },
    schema: { summary: 'Pools with expected and observed shares over 30 s', tags: ['stats'], response: { 200: poolsSchema, ...authErrors } },
    handler: async () => describePools(options.pools(), options.telemetry),
  });
  app.get('/api/v1/stats', {
    config: { access: READ_ROLES },
    schema: { summary: 'Live per-backend stats over the last 10 s, the traffic baseline and firing alerts', tags: ['stats'], response: { 200: statsSchema, ...authErrors } },
    handler: async () => describeStats(options.pools(), options.telemetry, options.monitor?.()),
  });
  app.get('/api/v1/stats/stream', {
    config: { access: READ_ROLES, allowQueryToken: true },
    exposeHeadRoute: false,
    schema: {
      summary: 'The same stats as server-sent events, one a second (the token may also be given as ?token=)',
      tags: ['stats'],
      querystring: TOKEN_QUERY,
      produces: ['text/event-stream'],
      response: authErrors,
    },
    handler: (request, reply) => {
      const tokenId = identityOf(request).id;
      streams.serve(request, reply, () => describeStats(options.pools(), options.telemetry, options.monitor?.()), () => authenticator.isActive(tokenId), options.statsIntervalMs);
    },
  });

  registerControlRoutes(app, { store: options.store, changes: options.changes, authenticator });
  registerAlertRoutes(app, { store: options.store, monitor: options.monitor });
  registerIncidentRoutes(app, { store: options.store });
  registerDrillRoutes(app, { store: options.store, drills: options.drills });
  registerFleetRoutes(app, { store: options.store, fleet: options.fleet });
  registerWhoamiRoute(app);

  app.setNotFoundHandler(async (request, reply) =>
    reply.code(404).send({ code: 'EK_ADMIN_NOT_FOUND', message: `no admin route ${request.method} ${request.url}; the routes are listed at /api/v1/openapi.json` }),
  );
  app.setErrorHandler(async (error, _request, reply) => {
    const answer = toErrorResponse(error);
    if (answer === undefined) {
      options.onError?.(error);
      return reply.code(500).send({ code: 'EK_ADMIN_INTERNAL', message: 'the admin API failed on this request; the node log has the details' });
    }
    return reply.code(answer.status).send(answer.body);
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
    get openStreams() {
      return streams.size;
    },
    close: () => app.close(),
  };
}

interface ErrorResponse {
  status: number;
  body: { code: string; message: string; findings?: unknown; changeId?: number };
}

const TOKEN_ERROR_STATUS: Record<TokenError['code'], number> = {
  EK_TOKEN_ROLE_INVALID: 400,
  EK_TOKEN_NAME_INVALID: 400,
  EK_TOKEN_NAME_TAKEN: 409,
  EK_TOKEN_NOT_FOUND: 404,
  EK_TOKEN_BOOTSTRAP_INVALID: 400,
};

/** The status and `{code, message}` body of an expected error; undefined for an internal failure. */
export function toErrorResponse(error: unknown): ErrorResponse | undefined {
  if (error instanceof ChangeRefusedError) {
    return { status: 422, body: { code: error.code, message: error.message, findings: error.findings, changeId: error.changeId } };
  }
  if (error instanceof ChangeError) {
    if (error.statusCode >= 500) return undefined;
    return { status: error.statusCode, body: { code: error.code, message: error.message, ...(error.changeId === undefined ? {} : { changeId: error.changeId }) } };
  }
  if (error instanceof AdminError) return { status: error.statusCode, body: { code: error.code, message: error.message } };
  if (error instanceof ConfigError) return { status: 422, body: { code: error.code, message: `the proposed config is invalid:\n${error.message}` } };
  if (error instanceof TokenError) return { status: TOKEN_ERROR_STATUS[error.code], body: { code: error.code, message: error.message } };
  if (error instanceof EventLogError) return { status: 400, body: { code: error.code, message: error.message } };
  const fastifyError = error as Partial<FastifyError>;
  // Client errors found by Fastify itself: a schema violation, malformed JSON, a wrong content type.
  if (fastifyError.statusCode !== undefined && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    const message =
      fastifyError.validation !== undefined
        ? `invalid request: ${fastifyError.message}; see /api/v1/openapi.json for the expected shape`
        : fastifyError.code === 'FST_ERR_CTP_INVALID_JSON_BODY'
          ? `malformed JSON in the request body (${fastifyError.message ?? ''}); send one JSON object`
          : (fastifyError.message ?? 'bad request');
    return { status: fastifyError.statusCode, body: { code: 'EK_ADMIN_BAD_REQUEST' satisfies AdminErrorCode, message } };
  }
  return undefined;
}
