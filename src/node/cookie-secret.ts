import { randomBytes } from 'node:crypto';
import type { Config } from '../config/index.js';
import { sharedSecret, type StoreSession } from '../control/index.js';

/** The shared_secrets row holding the key every node of a store signs persistence cookies with. */
const COOKIE_SECRET_NAME = 'cookie_secret';

export type CookieSecretSource = 'config' | 'environment' | 'store';

/**
 * The key that signs persistence cookies: the config's proxy.cookie_secret, else
 * $EVENKEEL_COOKIE_SECRET, else a random key created once in the store and shared by every node that
 * uses it, so a session pinned by one node of a fleet is honoured by the others and survives restarts.
 */
export async function resolveCookieSecret(config: Config, store: StoreSession, env: NodeJS.ProcessEnv = process.env): Promise<{ secret: string; source: CookieSecretSource }> {
  if (config.proxy.cookie_secret) return { secret: config.proxy.cookie_secret, source: 'config' };
  const fromEnv = env.EVENKEEL_COOKIE_SECRET;
  if (fromEnv && fromEnv.length >= 16) return { secret: fromEnv, source: 'environment' };
  const secret = await sharedSecret(store, COOKIE_SECRET_NAME, () => randomBytes(32).toString('base64url'));
  return { secret, source: 'store' };
}
