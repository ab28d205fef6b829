import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { verifyToken, type StoreSession, type TokenIdentity, type TokenRole } from '../control/index.js';
import { AdminError } from './errors.js';

// Bearer-token authentication for the admin API. A token's secret is checked against its scrypt hash
// (~100 ms, on purpose), so a verified identity is remembered for VERIFIED_TTL_MS, keyed by a SHA-256
// of the token (the token text itself is not kept). Revocation is NOT cached: every request reads the
// token's row (one indexed lookup), so a token revoked on this node or on any node sharing the store
// is refused from the next request on.

/** Who may call a route: 'public' needs no token; otherwise the roles that may. */
export type RouteAccess = 'public' | readonly TokenRole[];

/** Every valid token may read. */
export const READ_ROLES: readonly TokenRole[] = ['viewer', 'operator', 'approver', 'automation', 'admin'];

const VERIFIED_TTL_MS = 60_000;
const MAX_CACHED_TOKENS = 1000;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Required on every admin route (a route without it is refused at registration). */
    access?: RouteAccess;
    /** Accept the token as ?token= too (EventSource cannot set headers). */
    allowQueryToken?: boolean;
  }
  interface FastifyRequest {
    /** The verified caller; set by the auth hook on every non-public route. */
    identity?: TokenIdentity;
  }
}

interface CachedIdentity {
  readonly identity: TokenIdentity;
  readonly verifiedAtMs: number;
}

export class TokenAuthenticator {
  private readonly session: StoreSession;
  private readonly now: () => number;
  private readonly verified = new Map<string, CachedIdentity>();

  constructor(session: StoreSession, now: () => number = Date.now) {
    this.session = session;
    this.now = now;
  }

  /** The identity behind `token`, or undefined when it is unknown, wrong or revoked. */
  async identify(token: string): Promise<TokenIdentity | undefined> {
    const key = createHash('sha256').update(token).digest('base64url');
    const cached = this.verified.get(key);
    if (cached !== undefined && this.now() - cached.verifiedAtMs < VERIFIED_TTL_MS) {
      if (await this.isActive(cached.identity.id)) return cached.identity;
      this.verified.delete(key);
      return undefined;
    }
    const identity = await verifyToken(this.session, token);
    if (identity === undefined) {
      this.verified.delete(key);
      return undefined;
    }
    if (this.verified.size >= MAX_CACHED_TOKENS) this.verified.clear();
    this.verified.set(key, { identity, verifiedAtMs: this.now() });
    return identity;
  }

  /** False once the token with this id is revoked (or deleted): for long-lived streams. */
  async isActive(tokenId: string): Promise<boolean> {
    const row = await this.session.db.selectFrom('tokens').select('revoked_at').where('id', '=', tokenId).executeTakeFirst();
    return row !== undefined && row.revoked_at === null;
  }

  /** The Fastify onRequest hook: 401 without a valid token, 403 for a role the route does not allow. */
  readonly onRequest = async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const { access, allowQueryToken } = request.routeOptions.config;
    // Unknown URLs (the 404 handler) have no access setting: they answer 404 either way.
    if (access === undefined || access === 'public') return;
    const token = bearerToken(request, allowQueryToken === true);
    if (token === undefined) {
      throw new AdminError('EK_AUTH_REQUIRED', 'this route needs a token: send "Authorization: Bearer <token>" (the CLI reads it from EVENKEEL_TOKEN)');
    }
    const identity = await this.identify(token);
    if (identity === undefined) {
      throw new AdminError('EK_AUTH_INVALID', 'the token is unknown, wrong or revoked; ask an admin for a valid one (`evenkeel token create`)');
    }
    if (!access.includes(identity.role)) {
      throw new AdminError(
        'EK_AUTH_FORBIDDEN',
        `token "${identity.name}" has role ${identity.role}; ${request.method} ${request.routeOptions.url ?? request.url} needs one of: ${access.join(', ')}`,
      );
    }
    request.identity = identity;
  };
}

function bearerToken(request: FastifyRequest, allowQueryToken: boolean): string | undefined {
  const header = request.headers.authorization;
  if (typeof header === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match === null ? undefined : match[1];
  }
  if (allowQueryToken) {
    const token = (request.query as { token?: unknown } | undefined)?.token;
    if (typeof token === 'string' && token.length > 0) return token;
  }
  return undefined;
}

/** The verified caller of a non-public route (the auth hook guarantees it). */
export function identityOf(request: FastifyRequest): TokenIdentity {
  if (request.identity === undefined) throw new Error(`route ${request.routeOptions.url} ran without an identity; is its access set?`);
  return request.identity;
}
