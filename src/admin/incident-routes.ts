import type { FastifyInstance, FastifyReply } from 'fastify';
import { INCIDENT_STATUSES, type IncidentStatus, type Store, type TokenRole } from '../control/index.js';
import { buildIncidentReport, getIncident, incidentDurations, IncidentError, listIncidents, markMilestone, renderIncidentReportMarkdown, type Incident, type MarkableMilestone } from '../incident/index.js';
import { identityOf, READ_ROLES } from './auth.js';
import { clientErrors } from './schemas.js';

// Incidents (docs/incidents.md): the node opens them from alerts; people read them and mark the
// milestones only they can know: acknowledged (someone is on it), identified (the cause is confirmed)
// and mitigated (what stopped the harm, when the node's own rollback did not).

/** Marking a milestone is operating the system, as applying a change is. */
export const INCIDENT_MARK_ROLES: readonly TokenRole[] = ['operator', 'approver', 'admin'];
export const DEFAULT_INCIDENT_LIST_LIMIT = 50;

const markSchema = {
  type: 'object',
  required: ['at', 'by'],
  properties: { at: { type: 'integer', description: 'Epoch ms' }, by: { type: 'string', description: "A token's name, or monitor / node" }, note: { type: 'string' } },
} as const;
const countsSchema = { type: 'object', required: ['requests', 'slowed', 'failed'], properties: { requests: { type: 'number' }, slowed: { type: 'number' }, failed: { type: 'number' } } } as const;

/** An incident as src/incident/incident.ts defines it, with the durations that follow from its milestones. */
export const incidentSchema = {
  $id: 'Incident',
  type: 'object',
  required: ['id', 'pool', 'status', 'title', 'milestones', 'alerts', 'backends', 'impact', 'updatedAt', 'durations'],
  properties: {
    id: { type: 'integer' },
    pool: { type: 'string', description: '"*" for node-wide alerts (traffic)' },
    status: { type: 'string', enum: [...INCIDENT_STATUSES] },
    title: { type: 'string', description: 'The first alert summary' },
    milestones: {
      type: 'object',
      description: 'started, detected, acknowledged, identified, mitigated, resolved: each when it was reached, by whom, and a note',
      properties: { started: markSchema, detected: markSchema, acknowledged: markSchema, identified: markSchema, mitigated: markSchema, resolved: markSchema },
    },
    history: {
      type: 'array',
      description: 'Later marks of a milestone already reached (the first mark wins)',
      items: { type: 'object', required: ['milestone', 'at', 'by'], properties: { milestone: { type: 'string' }, ...markSchema.properties } },
    },
    alerts: { type: 'array', items: { type: 'string' }, description: 'Fingerprints of the related alerts, in order of firing' },
    backends: { type: 'array', items: { type: 'string' } },
    impact: {
      type: 'object',
      required: ['requests', 'slowed', 'failed', 'sloMs', 'backends'],
      properties: { ...countsSchema.properties, sloMs: { type: 'number' }, backends: { type: 'object', additionalProperties: countsSchema } },
    },
    updatedAt: { type: 'integer' },
    durations: {
      type: 'object',
      description: 'From the first sign (started) to detected, mitigated and resolved, ms; null until reached',
      required: ['toDetectMs', 'toMitigateMs', 'toResolveMs'],
      properties: { toDetectMs: { type: ['integer', 'null'] }, toMitigateMs: { type: ['integer', 'null'] }, toResolveMs: { type: ['integer', 'null'] } },
    },
  },
} as const;
const incidentRef = { $ref: 'Incident#' } as const;

const incidentParams = { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } } as const;
const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { status: { type: 'string', enum: [...INCIDENT_STATUSES] }, pool: { type: 'string', minLength: 1, maxLength: 200 }, limit: { type: 'integer', minimum: 1, maximum: 1000 } },
} as const;
const reportQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { format: { type: 'string', enum: ['md', 'json'], default: 'md', description: 'md: the postmortem draft in Markdown; json: the report object it is written from' } },
} as const;
const text = (description: string) => ({ type: 'string', minLength: 1, maxLength: 2000, pattern: '\\S', description }) as const;
const bodies = {
  acknowledge: { type: ['object', 'null'], additionalProperties: false, properties: { note: { type: 'string', maxLength: 2000 } } },
  identify: { type: 'object', additionalProperties: false, required: ['cause'], properties: { cause: text('The cause, confirmed') } },
  mitigate: { type: 'object', additionalProperties: false, required: ['note'], properties: { note: text('What was done') } },
} as const;

const MARKS: ReadonlyArray<{ path: keyof typeof bodies; milestone: MarkableMilestone; summary: string; noteOf: (body: Record<string, unknown> | null) => string | undefined }> = [
  { path: 'acknowledge', milestone: 'acknowledged', summary: 'Acknowledge an incident: someone is on it', noteOf: (body) => stringOf(body?.note) },
  { path: 'identify', milestone: 'identified', summary: 'Record the confirmed cause of an incident', noteOf: (body) => stringOf(body?.cause) },
  { path: 'mitigate', milestone: 'mitigated', summary: 'Record what mitigated an open incident', noteOf: (body) => stringOf(body?.note) },
];

export interface IncidentRoutesOptions {
  store: Store;
}

export function registerIncidentRoutes(app: FastifyInstance, options: IncidentRoutesOptions): void {
  const { store } = options;
  app.addSchema(incidentSchema);

  app.get<{ Querystring: { status?: IncidentStatus; pool?: string; limit?: number } }>('/api/v1/incidents', {
    config: { access: READ_ROLES },
    schema: { summary: 'Incidents, newest first', tags: ['incidents'], querystring: listQuery, response: { 200: { type: 'array', items: incidentRef }, ...clientErrors } },
    handler: async (request, reply) =>
      answer(reply, async () => {
        const { status, pool, limit } = request.query;
        return (await listIncidents(store, { status, pool, limit: limit ?? DEFAULT_INCIDENT_LIST_LIMIT })).map(withDurations);
      }),
  });

  app.get<{ Params: { id: number } }>('/api/v1/incidents/:id', {
    config: { access: READ_ROLES },
    schema: { summary: 'One incident with its milestones, impact and durations', tags: ['incidents'], params: incidentParams, response: { 200: incidentRef, ...clientErrors } },
    handler: async (request, reply) => answer(reply, async () => withDurations(await getIncident(store, request.params.id))),
  });

  app.get<{ Params: { id: number }; Querystring: { format?: 'md' | 'json' } }>('/api/v1/incidents/:id/report', {
    config: { access: READ_ROLES },
    schema: {
      summary: 'A postmortem draft of the incident from its milestones, impact and the audit log',
      tags: ['incidents'],
      params: incidentParams,
      querystring: reportQuery,
      produces: ['text/markdown', 'application/json'],
      response: { 200: { description: 'text/markdown, or the report object with ?format=json' }, ...clientErrors },
    },
    handler: async (request, reply) =>
      answer(reply, async () => {
        const report = await buildIncidentReport(store, request.params.id);
        if (request.query.format === 'json') return reply.type('application/json; charset=utf-8').send(JSON.stringify(report));
        return reply.type('text/markdown; charset=utf-8').send(renderIncidentReportMarkdown(report));
      }),
  });

  for (const mark of MARKS) {
    app.post<{ Params: { id: number }; Body: Record<string, unknown> | null }>(`/api/v1/incidents/:id/${mark.path}`, {
      config: { access: INCIDENT_MARK_ROLES },
      schema: { summary: mark.summary, tags: ['incidents'], params: incidentParams, body: bodies[mark.path], response: { 200: incidentRef, ...clientErrors } },
      handler: async (request, reply) =>
        answer(reply, async () => withDurations(await markMilestone(store, request.params.id, mark.milestone, identityOf(request).name, mark.noteOf(request.body)))),
    });
  }
}

/** The incident with its durations; null for a duration not reached yet (JSON has no undefined). */
export function withDurations(incident: Incident): Incident & { durations: Record<'toDetectMs' | 'toMitigateMs' | 'toResolveMs', number | null> } {
  const durations = incidentDurations(incident);
  return { ...incident, durations: { toDetectMs: durations.toDetectMs ?? null, toMitigateMs: durations.toMitigateMs ?? null, toResolveMs: durations.toResolveMs ?? null } };
}

/** Runs `work`; an IncidentError becomes its status and `{code, message}`, anything else goes to the server's error handler. */
async function answer<T>(reply: FastifyReply, work: () => Promise<T>): Promise<T | FastifyReply> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof IncidentError) return reply.code(error.statusCode).send({ code: error.code, message: error.message });
    throw error;
  }
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}
