// JSON schemas of the admin API's requests and responses (Fastify validates requests with them and
// serializes responses with them; @fastify/swagger turns them into /api/v1/openapi.json). The shapes
// follow src/control/changes/change-request.ts and docs/admin-api.md. Nested documents whose shape
// belongs to another room (a config, a simulation) are open objects here, so adding a field there
// never drops it from a response.

import { CHANGE_SOURCES, CHANGE_STATUSES, TOKEN_ROLES } from '../control/index.js';

const openObject = { type: 'object', additionalProperties: true } as const;
const nullableInteger = { type: ['integer', 'null'] } as const;

export const errorSchema = {
  $id: 'AdminError',
  type: 'object',
  required: ['code', 'message'],
  properties: {
    code: { type: 'string', description: 'Stable code, EK_...' },
    message: { type: 'string', description: 'What went wrong and what to do' },
    findings: { type: 'array', items: openObject, description: 'EK_CHANGE_REFUSED: the guardrails that refused the change' },
    changeId: { type: 'integer' },
  },
} as const;

const errorRef = { $ref: 'AdminError#' } as const;
/** Error responses every authenticated route can give. */
export const authErrors = { 401: errorRef, 403: errorRef } as const;
export const clientErrors = { 400: errorRef, 401: errorRef, 403: errorRef, 404: errorRef, 409: errorRef, 422: errorRef } as const;

export const changeRequestSchema = {
  $id: 'ChangeRequest',
  type: 'object',
  required: ['id', 'status', 'author', 'source', 'reason', 'diff', 'createdAt'],
  additionalProperties: true,
  properties: {
    id: { type: 'integer' },
    status: { type: 'string', enum: [...CHANGE_STATUSES] },
    author: { type: 'string' },
    authorRole: { type: 'string' },
    source: { type: 'string', enum: [...CHANGE_SOURCES] },
    reason: { type: 'string' },
    baseVersion: nullableInteger,
    proposedConfig: openObject,
    diff: { type: 'array', items: { type: 'string' } },
    simulation: { type: ['object', 'null'], additionalProperties: true },
    isFlagged: { type: 'boolean' },
    findings: { type: 'array', items: openObject },
    needsApproval: { type: 'boolean' },
    approvals: { type: 'array', items: openObject },
    createdAt: { type: 'integer' },
    updatedAt: { type: 'integer' },
    appliedVersion: nullableInteger,
    rollbackOf: nullableInteger,
  },
} as const;
export const changeRequestRef = { $ref: 'ChangeRequest#' } as const;

const versionSummaryProperties = {
  version: { type: 'integer' },
  createdAt: { type: 'integer' },
  author: { type: 'string' },
  source: { type: 'string', enum: [...CHANGE_SOURCES] },
  reason: { type: 'string' },
  parentVersion: nullableInteger,
} as const;

export const versionSummarySchema = { type: 'object', required: ['version', 'createdAt', 'author', 'source', 'reason', 'parentVersion'], properties: versionSummaryProperties } as const;
export const versionSchema = {
  type: 'object',
  required: [...versionSummarySchema.required, 'config', 'configYaml'],
  properties: { ...versionSummaryProperties, config: openObject, configYaml: { type: ['string', 'null'] } },
} as const;
export const liveConfigSchema = {
  type: 'object',
  required: ['version', 'config', 'configYaml'],
  properties: { version: { type: 'integer' }, config: openObject, configYaml: { type: ['string', 'null'] } },
} as const;

const backendRef = { pool: { type: 'string', minLength: 1 }, backend: { type: 'string', minLength: 1 } } as const;
export const operationSchema = {
  type: 'object',
  required: ['op'],
  discriminator: { propertyName: 'op' },
  oneOf: [
    {
      type: 'object',
      additionalProperties: false,
      required: ['op', 'pool', 'backend', 'weight'],
      properties: { op: { const: 'set_weight' }, ...backendRef, weight: { type: 'integer', minimum: 0, maximum: 10000 } },
    },
    { type: 'object', additionalProperties: false, required: ['op', 'pool', 'backend'], properties: { op: { const: 'drain' }, ...backendRef } },
    { type: 'object', additionalProperties: false, required: ['op', 'pool', 'backend'], properties: { op: { const: 'undrain' }, ...backendRef } },
  ],
} as const;

const reason = { type: 'string', minLength: 1, maxLength: 2000, pattern: '\\S', description: 'Why; required, shown in the audit log' } as const;

export const proposeBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['reason'],
  properties: {
    reason,
    source: { type: 'string', enum: ['cli', 'api', 'dashboard', 'automation'] },
    baseVersion: { type: 'integer', minimum: 1 },
    configYaml: { type: 'string', minLength: 1, maxLength: 1_000_000 },
    operations: { type: 'array', minItems: 1, maxItems: 1000, items: operationSchema },
  },
  oneOf: [{ required: ['configYaml'] }, { required: ['operations'] }],
} as const;

export const commentBodySchema = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: { comment: { type: 'string', maxLength: 2000 } },
} as const;
export const emptyBodySchema = { type: ['object', 'null'], additionalProperties: false, properties: {} } as const;

export const rollbackBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['reason'],
  properties: { reason, toVersion: { type: 'integer', minimum: 1 }, source: { type: 'string', enum: ['cli', 'api', 'dashboard'] } },
} as const;

export const changeIdParams = { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } } as const;
export const versionParams = { type: 'object', required: ['version'], properties: { version: { type: 'integer', minimum: 1 } } } as const;

export const changeListQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { status: { type: 'string', enum: [...CHANGE_STATUSES] }, limit: { type: 'integer', minimum: 1, maximum: 1000 } },
} as const;
export const versionListQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { limit: { type: 'integer', minimum: 1, maximum: 1000 }, before: { type: 'integer', minimum: 1 } },
} as const;

export const eventSchema = {
  type: 'object',
  required: ['seq', 'at', 'kind', 'actor', 'subject', 'data', 'prevHash', 'hash'],
  properties: {
    seq: { type: 'integer' },
    at: { type: 'integer' },
    kind: { type: 'string' },
    actor: { type: 'string' },
    subject: { type: 'string' },
    data: {},
    prevHash: { type: 'string' },
    hash: { type: 'string' },
  },
} as const;
export const eventQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    since: { type: 'string', description: 'epoch milliseconds or an ISO 8601 time' },
    until: { type: 'string', description: 'epoch milliseconds or an ISO 8601 time' },
    kind: { type: 'string' },
    actor: { type: 'string' },
    subject: { type: 'string' },
    afterSeq: { type: 'integer', minimum: 0 },
    limit: { type: 'integer', minimum: 1, maximum: 10000 },
  },
} as const;
export const verificationSchema = {
  type: 'object',
  required: ['ok'],
  properties: { ok: { type: 'boolean' }, count: { type: 'integer' }, firstBadSeq: { type: 'integer' }, problem: { type: 'string' }, reason: { type: 'string' } },
} as const;

export const tokenInfoSchema = {
  type: 'object',
  required: ['id', 'name', 'role', 'createdAt', 'createdBy', 'revokedAt', 'lastUsedAt'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    role: { type: 'string', enum: [...TOKEN_ROLES] },
    createdAt: { type: 'integer' },
    createdBy: { type: 'string' },
    revokedAt: nullableInteger,
    lastUsedAt: nullableInteger,
  },
} as const;
export const newTokenBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'role'],
  properties: { name: { type: 'string', minLength: 1, maxLength: 64 }, role: { type: 'string', enum: [...TOKEN_ROLES] } },
} as const;
export const newTokenSchema = {
  type: 'object',
  required: ['token', 'id', 'name', 'role'],
  properties: { token: { type: 'string' }, id: { type: 'string' }, name: { type: 'string' }, role: { type: 'string' } },
} as const;
export const tokenParams = { type: 'object', required: ['idOrName'], properties: { idOrName: { type: 'string', minLength: 1, maxLength: 200 } } } as const;

export const statsSchema = {
  type: 'object',
  required: ['at', 'windowSeconds', 'pools', 'traffic', 'alerts'],
  properties: {
    at: { type: 'integer' },
    windowSeconds: { type: 'integer' },
    traffic: {
      type: 'object',
      required: ['rps', 'baselineRps'],
      description: "The node's total request rate and the monitor's baseline of it (null while it warms up or without a monitor)",
      properties: { rps: { type: 'number' }, baselineRps: { type: ['number', 'null'] } },
    },
    alerts: { type: 'array', items: { $ref: 'Alert#' }, description: 'Firing alerts, most severe first' },
    pools: {
      type: 'array',
      items: {
        type: 'object',
        required: ['pool', 'backends'],
        properties: {
          pool: { type: 'string' },
          backends: {
            type: 'array',
            items: {
              type: 'object',
              required: ['backend', 'effectiveWeight', 'expectedShare', 'observedShare', 'requests', 'rps', 'inflight', 'p95Ms', 'pinned', 'pinnedShare', 'spilled', 'health'],
              properties: {
                backend: { type: 'string' },
                effectiveWeight: { type: 'number' },
                expectedShare: { type: 'number' },
                observedShare: { type: 'number' },
                requests: { type: 'integer' },
                rps: { type: 'number', description: 'Requests per second over the window' },
                pinnedShare: { type: 'number', description: 'Part of its requests that persistence pinned to it; 0..1' },
                inflight: { type: 'integer' },
                p95Ms: { type: 'number' },
                pinned: { type: 'integer' },
                spilled: { type: 'integer' },
                health: { type: 'string', enum: ['healthy', 'unhealthy', 'draining'] },
              },
            },
          },
        },
      },
    },
  },
} as const;

export const poolsSchema = {
  type: 'object',
  required: ['windowSeconds', 'pools'],
  properties: {
    windowSeconds: { type: 'integer' },
    pools: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'algorithm', 'isPanicking', 'requests', 'backends'],
        properties: {
          name: { type: 'string' },
          algorithm: { type: 'string' },
          isPanicking: { type: 'boolean' },
          requests: { type: 'integer' },
          backends: {
            type: 'array',
            items: {
              type: 'object',
              required: ['id', 'url', 'weight', 'effectiveWeight', 'expectedShare', 'observedShare', 'requests', 'inflight', 'isHealthy', 'isDraining'],
              properties: {
                id: { type: 'string' },
                url: { type: 'string' },
                weight: { type: 'number' },
                effectiveWeight: { type: 'number' },
                expectedShare: { type: 'number' },
                observedShare: { type: 'number' },
                requests: { type: 'integer' },
                inflight: { type: 'integer' },
                isHealthy: { type: 'boolean' },
                isDraining: { type: 'boolean' },
              },
            },
          },
        },
      },
    },
  },
} as const;

export const healthSchema = {
  type: 'object',
  required: ['status'],
  properties: {
    status: { type: 'string', enum: ['ok', 'degraded'], description: 'degraded: the node serves, but cannot reach its fleet store (it keeps its last config)' },
    reasons: { type: 'array', items: { type: 'string' } },
  },
} as const;

const ALERT_STATE_VALUES = ['pending', 'firing', 'resolved'] as const;
const evidenceSchema = { type: 'object', additionalProperties: { type: ['number', 'string', 'null'] }, description: 'The numbers behind the alert, by name ("observedShare", "observed.web-1", "pValue", ...)' } as const;

/** An alert as src/monitor/alert.ts defines it (times are epoch ms; absent fields were not set). */
export const alertSchema = {
  $id: 'Alert',
  type: 'object',
  required: ['fingerprint', 'rule', 'severity', 'state', 'startedAt', 'summary', 'evidence', 'backends', 'causes', 'actions'],
  properties: {
    fingerprint: { type: 'string', description: 'rule/pool/backend ("*" when not set): at most one unresolved alert each' },
    rule: { type: 'string' },
    severity: { type: 'string', enum: ['critical', 'warning', 'info'] },
    pool: { type: 'string' },
    backend: { type: 'string' },
    state: { type: 'string', enum: [...ALERT_STATE_VALUES] },
    startedAt: { type: 'integer' },
    firingAt: { type: 'integer' },
    resolvedAt: { type: 'integer' },
    summary: { type: 'string', description: 'The diagnosis in one line' },
    evidence: evidenceSchema,
    backends: { type: 'array', items: { type: 'string' } },
    causes: {
      type: 'array',
      description: 'Likely causes, most likely first',
      items: {
        type: 'object',
        required: ['kind', 'summary', 'score'],
        properties: { kind: { type: 'string' }, summary: { type: 'string' }, score: { type: 'number' }, changeId: { type: 'integer' }, version: { type: 'integer' } },
      },
    },
    actions: {
      type: 'array',
      description: 'What the node did about it on its own (automatic rollback)',
      items: {
        type: 'object',
        required: ['kind', 'at', 'summary'],
        properties: { kind: { type: 'string' }, at: { type: 'integer' }, summary: { type: 'string' }, changeId: { type: 'integer' }, rollbackChangeId: { type: 'integer' } },
      },
    },
  },
} as const;
export const alertRef = { $ref: 'Alert#' } as const;

export const alertListQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { state: { type: 'string', enum: [...ALERT_STATE_VALUES] }, limit: { type: 'integer', minimum: 1, maximum: 1000 } },
} as const;
