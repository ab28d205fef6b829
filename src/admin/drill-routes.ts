import type { FastifyInstance, FastifyReply } from 'fastify';
import { type Store, type TokenRole } from '../control/index.js';
import { getDrillRun, listDrillRuns, MAX_DRILL_RUN_LIMIT } from '../drill/index.js';
import { DRILL_PHASES, renderDrillReportMarkdown, type DrillResult } from '../drill/index.js';
import { identityOf, READ_ROLES } from './auth.js';
import { authErrors, clientErrors } from './schemas.js';

// The drill routes (issue 6, and the dashboard's "start a built-in drill and watch it" of issue 7):
// the built-in scenarios, starting one on this node (one at a time), its progress, and the runs
// stored in this node's store with their reports. The drill itself runs in the node (DrillService in
// src/node/drill-service.ts); this file only needs what AdminDrillSource says.

/** Starting a drill: the roles that may apply a change may also rehearse an incident. */
const START_ROLES: readonly TokenRole[] = ['operator', 'approver', 'admin'];

export interface AdminDrillScenario {
  readonly name: string;
  readonly title: string;
  readonly description: string;
}

/** Where this node's drill is: running (with its progress), or the last one that finished. */
export interface AdminDrillStatus {
  readonly running: boolean;
  /** The running drill's scenario, or the last finished one's; null when no drill ran since the node started. */
  readonly scenario: string | null;
  readonly speed: number | null;
  readonly startedAt: number | null;
  /** The token name that started it. */
  readonly startedBy: string | null;
  readonly phase: (typeof DRILL_PHASES)[number] | null;
  /** 0..1 through the drill, by planned time; 1 once finished. */
  readonly fraction: number;
  readonly message: string;
  readonly endedAt: number | null;
  /** The last finished run's verdict and its id in the store (GET /api/v1/drills/:id). */
  readonly verdict: DrillResult['verdict'] | null;
  readonly lastRunId: number | null;
}

export type DrillRequestErrorCode = 'EK_DRILL_BUSY' | 'EK_DRILL_SCENARIO_UNKNOWN' | 'EK_DRILL_NOT_FOUND' | 'EK_DRILL_UNAVAILABLE';

const DRILL_REQUEST_STATUS: Readonly<Record<DrillRequestErrorCode, number>> = {
  EK_DRILL_BUSY: 409,
  EK_DRILL_SCENARIO_UNKNOWN: 404,
  EK_DRILL_NOT_FOUND: 404,
  EK_DRILL_UNAVAILABLE: 503,
};

/** A drill request the node cannot do, answered with its status and `{code, message}`. */
export class DrillRequestError extends Error {
  readonly code: DrillRequestErrorCode;
  readonly statusCode: number;

  constructor(code: DrillRequestErrorCode, message: string) {
    super(message);
    this.name = 'DrillRequestError';
    this.code = code;
    this.statusCode = DRILL_REQUEST_STATUS[code];
  }
}

/** What the routes need of the node's drills (src/node/drill-service.ts's DrillService satisfies it). */
export interface AdminDrillSource {
  scenarios(): readonly AdminDrillScenario[];
  current(): AdminDrillStatus;
  /** Starts a built-in drill in the background; throws DrillRequestError EK_DRILL_BUSY or EK_DRILL_SCENARIO_UNKNOWN. */
  start(request: { scenario: string; speed?: number; startedBy: string }): AdminDrillStatus;
}

const nullable = (type: string) => ({ type: [type, 'null'] }) as const;

const scenarioSchema = {
  type: 'object',
  required: ['name', 'title', 'description'],
  properties: { name: { type: 'string' }, title: { type: 'string' }, description: { type: 'string' } },
} as const;

const statusSchema = {
  type: 'object',
  required: ['running', 'scenario', 'speed', 'startedAt', 'startedBy', 'phase', 'fraction', 'message', 'endedAt', 'verdict', 'lastRunId'],
  properties: {
    running: { type: 'boolean' },
    scenario: nullable('string'),
    speed: nullable('number'),
    startedAt: nullable('integer'),
    startedBy: nullable('string'),
    phase: { type: ['string', 'null'], enum: [...DRILL_PHASES, null] },
    fraction: { type: 'number', minimum: 0, maximum: 1 },
    message: { type: 'string' },
    endedAt: nullable('integer'),
    verdict: { type: ['string', 'null'], enum: ['pass', 'fail', 'error', null] },
    lastRunId: nullable('integer'),
  },
} as const;

const runSummaryProperties = {
  id: { type: 'integer' },
  scenario: { type: 'string' },
  startedAt: { type: 'integer' },
  endedAt: { type: 'integer' },
  speed: { type: 'number' },
  verdict: { type: 'string', enum: ['pass', 'fail', 'error'] },
  detectS: nullable('number'),
  mitigateS: nullable('number'),
  slowedShare: nullable('number'),
  failedShare: nullable('number'),
  diagnosisOk: nullable('boolean'),
} as const;
const runSummaryRequired = Object.keys(runSummaryProperties);

const runSummarySchema = { type: 'object', required: runSummaryRequired, properties: runSummaryProperties } as const;
const runSchema = {
  type: 'object',
  required: [...runSummaryRequired, 'result'],
  // The DrillResult's shape belongs to src/drill/drill-result.ts: an open object, so no field is dropped.
  properties: { ...runSummaryProperties, result: { type: 'object', additionalProperties: true, description: 'The DrillResult (scenario, figures, targets, timeline, events, incident reports)' } },
} as const;

const startBodySchema = {
  type: 'object',
  required: ['scenario'],
  additionalProperties: false,
  properties: {
    scenario: { type: 'string', minLength: 1, maxLength: 200, description: 'A built-in scenario name (GET /api/v1/drills/scenarios)' },
    speed: { type: 'number', exclusiveMinimum: 0, maximum: 100, description: "Divides the scenario's durations (detection times stay real seconds); default 1" },
  },
} as const;

const runParams = { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } } as const;
const runListQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { scenario: { type: 'string', minLength: 1, maxLength: 200 }, limit: { type: 'integer', minimum: 1, maximum: MAX_DRILL_RUN_LIMIT } },
} as const;
const reportQuery = { type: 'object', additionalProperties: false, properties: { format: { type: 'string', enum: ['md', 'json'], default: 'md' } } } as const;

const NOT_RUNNING: AdminDrillStatus = {
  running: false,
  scenario: null,
  speed: null,
  startedAt: null,
  startedBy: null,
  phase: null,
  fraction: 0,
  message: 'drills are not available on this node',
  endedAt: null,
  verdict: null,
  lastRunId: null,
};

export interface DrillRoutesOptions {
  store: Store;
  /** The node's drills; without it the routes list the store's runs, and starting a drill answers 503. */
  drills?: AdminDrillSource;
}

export function registerDrillRoutes(app: FastifyInstance, options: DrillRoutesOptions): void {
  const { store, drills } = options;

  app.get('/api/v1/drills/scenarios', {
    config: { access: READ_ROLES },
    schema: { summary: 'The built-in drill scenarios this node can run', tags: ['drills'], response: { 200: { type: 'array', items: scenarioSchema }, ...authErrors } },
    handler: async () => drills?.scenarios() ?? [],
  });

  app.post<{ Body: { scenario: string; speed?: number } }>('/api/v1/drills', {
    config: { access: START_ROLES },
    schema: {
      summary: 'Start a built-in drill on this node in the background (one at a time); watch it at /api/v1/drills/current',
      tags: ['drills'],
      body: startBodySchema,
      response: { 202: statusSchema, ...clientErrors, 503: clientErrors[409] },
    },
    handler: async (request, reply) => {
      try {
        if (drills === undefined) throw new DrillRequestError('EK_DRILL_UNAVAILABLE', 'this node runs no drills; start one with `evenkeel drill run` instead');
        const status = drills.start({ scenario: request.body.scenario, speed: request.body.speed, startedBy: identityOf(request).name });
        return reply.code(202).send(status);
      } catch (error) {
        return answerDrillError(reply, error);
      }
    },
  });

  app.get('/api/v1/drills/current', {
    config: { access: READ_ROLES },
    schema: { summary: "This node's drill: its progress while it runs, then the last run's verdict and id", tags: ['drills'], response: { 200: statusSchema, ...authErrors } },
    handler: async () => drills?.current() ?? NOT_RUNNING,
  });

  app.get<{ Querystring: { scenario?: string; limit?: number } }>('/api/v1/drills', {
    config: { access: READ_ROLES },
    schema: { summary: 'Stored drill runs, newest first', tags: ['drills'], querystring: runListQuery, response: { 200: { type: 'array', items: runSummarySchema }, 400: clientErrors[400], ...authErrors } },
    handler: async (request) => listDrillRuns(store, { scenario: request.query.scenario, limit: request.query.limit }),
  });

  app.get<{ Params: { id: number } }>('/api/v1/drills/:id', {
    config: { access: READ_ROLES },
    schema: { summary: 'One stored drill run with its DrillResult', tags: ['drills'], params: runParams, response: { 200: runSchema, ...clientErrors } },
    handler: async (request, reply) => {
      const run = await getDrillRun(store, request.params.id);
      if (run === undefined) return answerDrillError(reply, notFound(request.params.id));
      return run;
    },
  });

  app.get<{ Params: { id: number }; Querystring: { format: 'md' | 'json' } }>('/api/v1/drills/:id/report', {
    config: { access: READ_ROLES },
    schema: {
      summary: 'The drill report of a stored run, as Markdown (format=md, the default) or JSON (format=json)',
      tags: ['drills'],
      params: runParams,
      querystring: reportQuery,
      produces: ['text/markdown', 'application/json'],
      response: { ...clientErrors },
    },
    handler: async (request, reply) => {
      const run = await getDrillRun<DrillResult>(store, request.params.id);
      if (run === undefined) return answerDrillError(reply, notFound(request.params.id));
      if (request.query.format === 'json') return reply.type('application/json; charset=utf-8').send(JSON.stringify(run.result, null, 2));
      return reply.type('text/markdown; charset=utf-8').send(renderDrillReportMarkdown(run.result));
    },
  });
}

function notFound(id: number): DrillRequestError {
  return new DrillRequestError('EK_DRILL_NOT_FOUND', `there is no stored drill run ${id}; GET /api/v1/drills lists them`);
}

function answerDrillError(reply: FastifyReply, error: unknown): FastifyReply {
  if (!(error instanceof DrillRequestError)) throw error;
  return reply.code(error.statusCode).send({ code: error.code, message: error.message });
}
