import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Slow hashing of token secrets with scrypt (RFC 7914). Parameters are stored with each hash
 * (`scrypt$log2N$r$p$salt$hash`, base64url) so they can be raised later without breaking old tokens.
 * N = 2^15, r = 8, p = 1 uses 32 MiB and about 100 ms per hash: negligible for a CLI or a bootstrap,
 * and an offline guesser with a stolen database pays the same per guess.
 */
const LOG2_N = 15;
const BLOCK_SIZE = 8;
const PARALLELISM = 1;
const SALT_BYTES = 16;
const KEY_BYTES = 32;

function derive(secret: string, salt: Buffer, log2N: number, r: number, p: number): Promise<Buffer> {
  // Node refuses scrypt above 32 MiB by default; allow what the parameters need (128 * N * r) plus slack.
  const options: ScryptOptions = { N: 2 ** log2N, r, p, maxmem: 256 * 2 ** log2N * r };
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, KEY_BYTES, options, (error, key) => (error === null ? resolve(key) : reject(error)));
  });
}

/** Hashes `secret` with a fresh random salt. */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(secret, salt, LOG2_N, BLOCK_SIZE, PARALLELISM);
  return ['scrypt', LOG2_N, BLOCK_SIZE, PARALLELISM, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** True when `secret` hashes to `stored`; compares in constant time. A malformed `stored` is false. */
export async function isSecretMatch(secret: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [log2N, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  if (![log2N, r, p].every((n) => Number.isInteger(n) && n > 0) || log2N > 20) return false;
  const expected = Buffer.from(parts[5]!, 'base64url');
  if (expected.length !== KEY_BYTES) return false;
  const actual = await derive(secret, Buffer.from(parts[4]!, 'base64url'), log2N, r, p);
  return timingSafeEqual(actual, expected);
}
