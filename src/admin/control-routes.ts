import type { FastifyInstance } from 'fastify';
import { parseConfigText, redactConfigSecrets, redactYamlSecrets, restoreRedactedSecrets, type Config } from '../config/index.js';
import {
  ChangeError,
  createToken,
  getConfigVersion,
  listConfigVersions,
  listEvents,
  listTokens,
  revokeToken,
  verifyEvents,
  type ChangeSource,
  type ChangeStatus,
  type Store,
  type TokenRole,
} from '../control/index.js';
import type { Actor } from '../control/index.js';
import type { ChangeService } from '../control/index.js';
import { identityOf, READ_ROLES, type TokenAuthenticator } from './auth.js';
import { applyOperations, type ChangeOperation } from './change-operations.js';
import { AdminError } from './errors.js';
import * as s from './schemas.js';

// The control plane's routes: config versions, change requests, rollback, the audit log and tokens.
// Every one names the roles that may call it (config.access); the auth hook enforces it.

export const PROPOSE_ROLES: readonly TokenRole[] = ['operator', 'approver', 'automation', 'admin'];
export const APPROVE_ROLES: readonly TokenRole[] = ['approver', 'admin'];
export const APPLY_ROLES: readonly TokenRole[] = ['operator', 'approver', 'admin'];
export const ADMIN_ROLES: readonly TokenRole[] = ['admin'];

export interface ControlRoutesOptions {
  store: Store;
  changes: ChangeService;
  authenticator: TokenAuthenticator;
}

interface ProposeBody {
  reason: string;
  source?: ChangeSource;
  baseVersion?: number;
  configYaml?: string;
  operations?: ChangeOperation[];
}

export function registerControlRoutes(app: FastifyInstance, options: ControlRoutesOptions): void {
  const { store, changes } = options;
  const actorOf = (request: Parameters<typeof identityOf>[0]): Actor => {
    const identity = identityOf(request);
    return { name: identity.name, role: identity.role, tokenId: identity.id };
  };

  app.get('/api/v1/config', {
    config: { access: READ_ROLES },
    schema: { summary: 'The live config and its version', tags: ['config'], response: { 200: s.liveConfigSchema, ...s.authErrors } },
    handler: async () => {
      const version = changes.liveVersion();
      const stored = await getConfigVersion(store, version);
      return { version, config: redactConfigSecrets(changes.liveConfig()), configYaml: redactYaml(stored?.configYaml ?? null) };
    },
  });

  app.get<{ Querystring: { limit?: number; before?: number } }>('/api/v1/config/versions', {
    config: { access: READ_ROLES },
    schema: { summary: 'Config versions, newest first', tags: ['config'], querystring: s.versionListQuery, response: { 200: { type: 'array', items: s.versionSummarySchema }, 400: s.clientErrors[400], ...s.authErrors } },
    handler: async (request) => listConfigVersions(store, { limit: request.query.limit ?? 50, beforeVersion: request.query.before }),
  });

  app.get<{ Params: { version: number } }>('/api/v1/config/versions/:version', {
    config: { access: READ_ROLES },
    schema: { summary: 'One config version with its config', tags: ['config'], params: s.versionParams, response: { 200: s.versionSchema, ...s.clientErrors } },
    handler: async (request) => {
      const found = await getConfigVersion(store, request.params.version);
      if (found === undefined) {
        throw new ChangeError('EK_VERSION_NOT_FOUND', `there is no config version ${request.params.version}; the live version is ${changes.liveVersion()} (GET /api/v1/config/versions lists them)`);
      }
      return { ...found, config: redactConfigSecrets(found.config), configYaml: redactYaml(found.configYaml) };
    },
  });

  app.post<{ Body: ProposeBody }>('/api/v1/changes', {
    config: { access: PROPOSE_ROLES },
    schema: { summary: 'Propose a change (a whole config as YAML, or operations on the live config)', tags: ['changes'], body: s.proposeBodySchema, response: { 201: s.changeRequestRef, ...s.clientErrors } },
    handler: async (request, reply) => {
      const body = request.body;
      const actor = actorOf(request);
      const config = body.configYaml !== undefined ? keepRedactedSecrets(parseConfigText(body.configYaml, 'proposed config'), changes.liveConfig()) : applyOperations(changes.liveConfig(), body.operations ?? []);
      const source: ChangeSource = actor.role === 'automation' ? 'automation' : (body.source ?? 'api');
      const change = await changes.propose({ actor, source, reason: body.reason.trim(), config, configYaml: body.configYaml, baseVersion: body.baseVersion });
      return reply.code(201).send(change);
    },
  });

  app.get<{ Querystring: { status?: ChangeStatus; limit?: number } }>('/api/v1/changes', {
    config: { access: READ_ROLES },
    schema: { summary: 'Change requests, newest first', tags: ['changes'], querystring: s.changeListQuery, response: { 200: { type: 'array', items: s.changeRequestRef }, 400: s.clientErrors[400], ...s.authErrors } },
    handler: async (request) => changes.list({ status: request.query.status, limit: request.query.limit }),
  });

  app.get<{ Params: { id: number } }>('/api/v1/changes/:id', {
    config: { access: READ_ROLES },
    schema: { summary: 'One change request', tags: ['changes'], params: s.changeIdParams, response: { 200: s.changeRequestRef, ...s.clientErrors } },
    handler: async (request) => changes.get(request.params.id),
  });

  const decide = (path: 'approve' | 'reject') =>
    app.post<{ Params: { id: number }; Body: { comment?: string } | null }>(`/api/v1/changes/:id/${path}`, {
      config: { access: APPROVE_ROLES },
      schema: {
        summary: path === 'approve' ? "Approve another person's change" : 'Reject a change',
        tags: ['changes'],
        params: s.changeIdParams,
        body: s.commentBodySchema,
        response: { 200: s.changeRequestRef, ...s.clientErrors },
      },
      handler: async (request) => {
        const comment = request.body?.comment;
        return path === 'approve' ? changes.approve(request.params.id, actorOf(request), comment) : changes.reject(request.params.id, actorOf(request), comment);
      },
    });
  decide('approve');
  decide('reject');

  app.post<{ Params: { id: number } }>('/api/v1/changes/:id/apply', {
    config: { access: APPLY_ROLES },
    schema: { summary: 'Apply an approved (or approval-free) change', tags: ['changes'], params: s.changeIdParams, body: s.emptyBodySchema, response: { 200: s.changeRequestRef, ...s.clientErrors } },
    handler: async (request) => changes.apply(request.params.id, actorOf(request)),
  });

  app.post<{ Body: { reason: string; toVersion?: number; source?: ChangeSource } }>('/api/v1/rollback', {
    config: { access: APPLY_ROLES },
    schema: { summary: 'Roll back to an earlier version (itself a change)', tags: ['changes'], body: s.rollbackBodySchema, response: { 201: s.changeRequestRef, ...s.clientErrors } },
    handler: async (request, reply) => {
      const { reason, toVersion, source } = request.body;
      const change = await changes.rollback(actorOf(request), { reason: reason.trim(), toVersion, source: source ?? 'api' });
      return reply.code(201).send(change);
    },
  });

  app.get<{ Querystring: { since?: string; until?: string; kind?: string; actor?: string; subject?: string; afterSeq?: number; limit?: number } }>('/api/v1/events', {
    config: { access: READ_ROLES },
    schema: { summary: 'Audit events, oldest first', tags: ['events'], querystring: s.eventQuery, response: { 200: { type: 'array', items: s.eventSchema }, 400: s.clientErrors[400], ...s.authErrors } },
    handler: async (request) => {
      const { since, until, ...rest } = request.query;
      return listEvents(store, { ...rest, since: parseTime('since', since), until: parseTime('until', until) });
    },
  });

  app.get('/api/v1/events/verify', {
    config: { access: READ_ROLES },
    schema: { summary: 'Check the hash chain of the audit log', tags: ['events'], response: { 200: s.verificationSchema, ...s.authErrors } },
    handler: async () => {
      const result = await verifyEvents(store);
      return result.ok ? result : { ok: false, firstBadSeq: result.firstBadSeq, problem: result.detail, reason: result.reason };
    },
  });

  app.get('/api/v1/tokens', {
    config: { access: ADMIN_ROLES },
    schema: { summary: 'Tokens, without their secrets', tags: ['tokens'], response: { 200: { type: 'array', items: s.tokenInfoSchema }, ...s.authErrors } },
    handler: async () => listTokens(store),
  });

  app.post<{ Body: { name: string; role: TokenRole } }>('/api/v1/tokens', {
    config: { access: ADMIN_ROLES },
    schema: { summary: 'Create a token; its text is shown only in this response', tags: ['tokens'], body: s.newTokenBodySchema, response: { 201: s.newTokenSchema, ...s.clientErrors } },
    handler: async (request, reply) => {
      const created = await createToken(store, { name: request.body.name, role: request.body.role, createdBy: identityOf(request).name });
      return reply.code(201).send(created);
    },
  });

  app.delete<{ Params: { idOrName: string } }>('/api/v1/tokens/:idOrName', {
    config: { access: ADMIN_ROLES },
    schema: { summary: 'Revoke a token (effective on the next request)', tags: ['tokens'], params: s.tokenParams, response: { 200: s.tokenInfoSchema, ...s.clientErrors } },
    handler: async (request) => revokeToken(store, { idOrName: request.params.idOrName, revokedBy: identityOf(request).name }),
  });
}

/** Epoch milliseconds from "1732838400000" or an ISO 8601 time; EK_ADMIN_BAD_REQUEST otherwise. */
function parseTime(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (/^\d{1,16}$/.test(value)) return Number(value);
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed) || !/^\d{4}-\d{2}-\d{2}/.test(value)) {
    throw new AdminError('EK_ADMIN_BAD_REQUEST', `${name}=${JSON.stringify(value)} is not a time; use epoch milliseconds or ISO 8601 such as 2024-05-01T09:30:00Z`);
  }
  return parsed;
}

/** Secrets never leave the node through the API (config/secrets.ts); the YAML is redacted too. */
function redactYaml(text: string | null): string | null {
  return text === null ? null : redactYamlSecrets(text);
}

/** A proposal built from a redacted read keeps the live secrets; a placeholder with nothing to keep is an error. */
function keepRedactedSecrets(proposed: Config, live: Config): Config {
  const { config, missing } = restoreRedactedSecrets(proposed, live);
  if (missing.length > 0) {
    throw new ChangeError('EK_CHANGE_INVALID', `${missing.join(', ')} is the redaction placeholder but the live config has no secret there to keep; write the secret itself`);
  }
  return config;
}
