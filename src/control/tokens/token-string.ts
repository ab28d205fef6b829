import { createHash, randomBytes } from 'node:crypto';

/**
 * A token as the user holds it: `ek_<id>_<secret>`, id 16 hex characters, secret 32 random bytes in
 * base64url. The id lets the store find the one row to check (the secret is only ever compared
 * against its slow hash); the `ek_` prefix lets secret scanners spot a leaked token.
 */
const TOKEN_PATTERN = /^ek_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/** Shortest bootstrap token we accept from the environment when it is not in `ek_` form. */
export const MIN_FOREIGN_TOKEN_LENGTH = 32;

export interface NewTokenString {
  readonly id: string;
  readonly token: string;
}

export function generateTokenString(): NewTokenString {
  const id = randomBytes(8).toString('hex');
  return { id, token: `ek_${id}_${randomBytes(32).toString('base64url')}` };
}

/**
 * The id a token is stored under. For an `ek_` token, its embedded id. For any other string (an
 * operator's own EVENKEEL_BOOTSTRAP_TOKEN, e.g. from `openssl rand -hex 32`), an id derived from it,
 * so that it can still be looked up without scanning every hash.
 */
export function tokenIdOf(token: string): string {
  const match = TOKEN_PATTERN.exec(token);
  if (match !== null) return match[1]!;
  return createHash('sha256').update('evenkeel-token-id\0').update(token).digest('hex').slice(0, 16);
}

export function isWellFormedToken(token: string): boolean {
  return TOKEN_PATTERN.test(token);
}
