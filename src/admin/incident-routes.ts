import type { FastifyInstance } from 'fastify';
import type { Store } from '../control/index.js';

// Placeholder being filled by issue 6's incident work: GET /api/v1/incidents, /incidents/:id,
// /incidents/:id/report and the milestone POSTs.
export function registerIncidentRoutes(_app: FastifyInstance, _options: { store: Store }): void {}
