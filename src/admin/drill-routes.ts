import type { FastifyInstance } from 'fastify';
import type { Store } from '../control/index.js';

// Placeholder being filled by issue 6's drill work: GET/POST /api/v1/drills, GET /api/v1/drills/:id.
export function registerDrillRoutes(_app: FastifyInstance, _options: { store: Store }): void {}
