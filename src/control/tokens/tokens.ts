import { TokenError } from '../errors.js';
import { appendEvent, EVENT_KINDS, lockEventChain } from '../events/index.js';
import type { StoreSession, TokenTable } from '../store/index.js';
import { isTokenRole, TOKEN_ROLES, type TokenRole } from './roles.js';
import { hashSecret, isSecretMatch } from './secret-hash.js';
import { generateTokenString, tokenIdOf } from './token-string.js';

/** A token as listed: everything but the secret and its hash. */
export interface TokenInfo {
  readonly id: string;
  readonly name: string;
  readonly role: TokenRole;
  readonly createdAt: number;
  readonly createdBy: string;
  readonly revokedAt: number | null;
  readonly lastUsedAt: number | null;
}

/** Who a verified token belongs to. */
export interface TokenIdentity {
  readonly id: string;
  readonly name: string;
  readonly role: TokenRole;
}

export interface NewToken {
  readonly id: string;
  readonly name: string;
  readonly role: TokenRole;
  /** Shown once; the store keeps only its scrypt hash. */
  readonly token: string;
}

const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
// last_used_at is a hint for "which tokens are stale", not an access log: write it at most this often.
const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * Creates a token and appends `token.created`, in one transaction. Returns the token text, which
 * cannot be recovered later. Throws TokenError EK_TOKEN_NAME_INVALID, EK_TOKEN_ROLE_INVALID,
 * EK_TOKEN_NAME_TAKEN.
 */
export async function createToken(session: StoreSession, options: { name: string; role: string; createdBy: string }): Promise<NewToken> {
  const { name, role, createdBy } = options;
  checkName(name);
  if (!isTokenRole(role)) {
    throw new TokenError('EK_TOKEN_ROLE_INVALID', `role "${role}" is not one of ${TOKEN_ROLES.join(', ')}`);
  }
  const { id, token } = generateTokenString();
  // Hash before taking the lock: scrypt takes ~100 ms and other writers should not wait for it.
  const secretHash = await hashSecret(token);
  await insertToken(session, { id, secretHash, name, role, createdBy });
  return { id, name, role, token };
}

/**
 * Internal to the tokens room: stores a token whose secret is already hashed, with its event.
 * Serialized with every other token or event writer (the chain lock), so the name check cannot race.
 */
export async function insertToken(
  session: StoreSession,
  options: { id: string; secretHash: string; name: string; role: TokenRole; createdBy: string },
): Promise<void> {
  await session.transaction(async (tx) => {
    await lockEventChain(tx);
    const taken = await tx.db
      .selectFrom('tokens')
      .select(['id', 'name'])
      .where((eb) => eb.or([eb('name', '=', options.name), eb('id', '=', options.id)]))
      .executeTakeFirst();
    if (taken !== undefined) {
      throw new TokenError(
        'EK_TOKEN_NAME_TAKEN',
        taken.name === options.name
          ? `a token named "${options.name}" already exists; choose another name (names stay taken after revocation)`
          : `a token with id ${options.id} already exists (token "${taken.name}"); use a different token text`,
      );
    }
    await tx.db
      .insertInto('tokens')
      .values({ id: options.id, name: options.name, role: options.role, secret_hash: options.secretHash, created_at: Date.now(), created_by: options.createdBy, revoked_at: null, last_used_at: null })
      .execute();
    await appendEvent(tx, { kind: EVENT_KINDS.tokenCreated, actor: options.createdBy, subject: `token:${options.name}`, data: { id: options.id, role: options.role } });
  });
}

/**
 * Who `token` belongs to, or undefined when it is unknown, revoked or wrong. Costs one scrypt hash
 * (~100 ms): callers on a busy path should cache the identity of a token they have just verified.
 */
export async function verifyToken(session: StoreSession, token: string): Promise<TokenIdentity | undefined> {
  if (typeof token !== 'string' || token.length === 0 || token.length > 512) return undefined;
  const row = await session.db.selectFrom('tokens').selectAll().where('id', '=', tokenIdOf(token)).executeTakeFirst();
  if (row === undefined || row.revoked_at !== null || !isTokenRole(row.role)) return undefined;
  if (!(await isSecretMatch(token, row.secret_hash))) return undefined;
  const now = Date.now();
  if (row.last_used_at === null || now - row.last_used_at >= LAST_USED_RESOLUTION_MS) {
    await session.db.updateTable('tokens').set({ last_used_at: now }).where('id', '=', row.id).execute();
  }
  return { id: row.id, name: row.name, role: row.role };
}

/**
 * Revokes the token with this id or name and appends `token.revoked`. Revoking a revoked token
 * changes nothing and appends nothing. Throws TokenError EK_TOKEN_NOT_FOUND.
 */
export async function revokeToken(session: StoreSession, options: { idOrName: string; revokedBy: string }): Promise<TokenInfo> {
  return session.transaction(async (tx) => {
    await lockEventChain(tx);
    const row = await tx.db
      .selectFrom('tokens')
      .selectAll()
      .where((eb) => eb.or([eb('id', '=', options.idOrName), eb('name', '=', options.idOrName)]))
      .executeTakeFirst();
    if (row === undefined) {
      throw new TokenError('EK_TOKEN_NOT_FOUND', `no token has the id or name "${options.idOrName}"; list tokens to see them`);
    }
    if (row.revoked_at !== null) return toInfo(row);
    const revokedAt = Date.now();
    await tx.db.updateTable('tokens').set({ revoked_at: revokedAt }).where('id', '=', row.id).execute();
    await appendEvent(tx, { kind: EVENT_KINDS.tokenRevoked, actor: options.revokedBy, subject: `token:${row.name}`, data: { id: row.id, role: row.role } });
    return toInfo({ ...row, revoked_at: revokedAt });
  });
}

/** All tokens, oldest first, without their hashes. */
export async function listTokens(session: StoreSession, options: { includeRevoked?: boolean } = {}): Promise<TokenInfo[]> {
  let query = session.db
    .selectFrom('tokens')
    .select(['id', 'name', 'role', 'created_at', 'created_by', 'revoked_at', 'last_used_at']);
  if (options.includeRevoked === false) query = query.where('revoked_at', 'is', null);
  const rows = await query.orderBy('created_at', 'asc').orderBy('name', 'asc').execute();
  return rows.map(toInfo);
}

function toInfo(row: Omit<TokenTable, 'secret_hash'>): TokenInfo {
  return {
    id: row.id,
    name: row.name,
    role: row.role as TokenRole,
    createdAt: row.created_at,
    createdBy: row.created_by,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
  };
}

function checkName(name: string): void {
  if (typeof name !== 'string' || !TOKEN_NAME.test(name)) {
    throw new TokenError('EK_TOKEN_NAME_INVALID', `token name ${JSON.stringify(name)} must be 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit`);
  }
}
