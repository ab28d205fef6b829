import type { FastifyInstance } from 'fastify';
import { identityOf, READ_ROLES } from './auth.js';
import { ADMIN_ROLES, APPLY_ROLES, APPROVE_ROLES, PROPOSE_ROLES } from './control-routes.js';
import { authErrors } from './schemas.js';

// GET /api/v1/whoami: the caller's token name and role, and what that role may do here. The
// dashboard shows its buttons from this answer instead of keeping its own copy of the role rules;
// the routes themselves still enforce them (and the policy still refuses self-approval).

const whoamiSchema = {
  type: 'object',
  required: ['name', 'role', 'tokenId', 'can'],
  properties: {
    name: { type: 'string' },
    role: { type: 'string' },
    tokenId: { type: 'string' },
    can: {
      type: 'object',
      required: ['propose', 'approve', 'apply', 'manageTokens'],
      properties: { propose: { type: 'boolean' }, approve: { type: 'boolean' }, apply: { type: 'boolean' }, manageTokens: { type: 'boolean' } },
    },
  },
} as const;

export function registerWhoamiRoute(app: FastifyInstance): void {
  app.get('/api/v1/whoami', {
    config: { access: READ_ROLES },
    schema: { summary: "The caller's token name and role, and which actions the role allows", tags: ['tokens'], response: { 200: whoamiSchema, ...authErrors } },
    handler: async (request) => {
      const { id, name, role } = identityOf(request);
      return {
        name,
        role,
        tokenId: id,
        can: { propose: PROPOSE_ROLES.includes(role), approve: APPROVE_ROLES.includes(role), apply: APPLY_ROLES.includes(role), manageTokens: ADMIN_ROLES.includes(role) },
      };
    },
  });
}
