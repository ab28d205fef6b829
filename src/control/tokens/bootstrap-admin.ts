import { TokenError } from '../errors.js';
import { lockEventChain } from '../events/index.js';
import type { StoreSession } from '../store/index.js';
import { hashSecret } from './secret-hash.js';
import { generateTokenString, isWellFormedToken, MIN_FOREIGN_TOKEN_LENGTH, tokenIdOf } from './token-string.js';
import { insertToken } from './tokens.js';

export const BOOTSTRAP_TOKEN_ENV = 'EVENKEEL_BOOTSTRAP_TOKEN';
export const BOOTSTRAP_TOKEN_NAME = 'bootstrap-admin';

export type BootstrapResult =
  | { readonly created: false }
  | {
      readonly created: true;
      readonly id: string;
      readonly name: string;
      /** Print once. Equal to the environment variable when it was set. */
      readonly token: string;
      readonly isFromEnvironment: boolean;
    };

/**
 * On a store with no active admin token, creates one (named `bootstrap-admin`) so that somebody can
 * log in at all: from EVENKEEL_BOOTSTRAP_TOKEN when set (only its hash is stored), else random.
 * Safe to call on every start of every node: the check and the insert are serialized, so exactly one
 * node creates it. Throws TokenError EK_TOKEN_BOOTSTRAP_INVALID for a short environment token.
 */
export async function ensureBootstrapAdmin(session: StoreSession, env: NodeJS.ProcessEnv = process.env): Promise<BootstrapResult> {
  // Cheap check first: most starts find an admin and should not pay for a scrypt hash.
  if (await hasActiveAdmin(session)) return { created: false };
  const fromEnv = env[BOOTSTRAP_TOKEN_ENV]?.trim();
  const isFromEnvironment = fromEnv !== undefined && fromEnv !== '';
  let id: string;
  let token: string;
  if (isFromEnvironment) {
    if (!isWellFormedToken(fromEnv) && fromEnv.length < MIN_FOREIGN_TOKEN_LENGTH) {
      throw new TokenError(
        'EK_TOKEN_BOOTSTRAP_INVALID',
        `${BOOTSTRAP_TOKEN_ENV} is ${fromEnv.length} characters; use at least ${MIN_FOREIGN_TOKEN_LENGTH} random characters (e.g. \`openssl rand -hex 32\`), or unset it to get a generated token`,
      );
    }
    token = fromEnv;
    id = tokenIdOf(fromEnv);
  } else {
    ({ id, token } = generateTokenString());
  }
  const secretHash = await hashSecret(token);
  return session.transaction(async (tx): Promise<BootstrapResult> => {
    // Re-check under the chain lock: another node may have bootstrapped since the cheap check.
    await lockEventChain(tx);
    if (await hasActiveAdmin(tx)) return { created: false };
    const name = await freeBootstrapName(tx);
    await insertToken(tx, { id, secretHash, name, role: 'admin', createdBy: 'system' });
    return { created: true, id, name, token, isFromEnvironment };
  });
}

async function hasActiveAdmin(session: StoreSession): Promise<boolean> {
  const row = await session.db.selectFrom('tokens').select('id').where('role', '=', 'admin').where('revoked_at', 'is', null).executeTakeFirst();
  return row !== undefined;
}

/** `bootstrap-admin`, or `bootstrap-admin-2`, ... when an earlier one was revoked and kept its name. */
async function freeBootstrapName(tx: StoreSession): Promise<string> {
  const rows = await tx.db.selectFrom('tokens').select('name').where('name', 'like', `${BOOTSTRAP_TOKEN_NAME}%`).execute();
  const taken = new Set(rows.map((row) => row.name));
  if (!taken.has(BOOTSTRAP_TOKEN_NAME)) return BOOTSTRAP_TOKEN_NAME;
  for (let n = 2; ; n += 1) {
    if (!taken.has(`${BOOTSTRAP_TOKEN_NAME}-${n}`)) return `${BOOTSTRAP_TOKEN_NAME}-${n}`;
  }
}
