import { randomBytes } from 'node:crypto';
import type { Config } from '../config/index.js';

/**
 * The key that signs persistence cookies: the config's proxy.cookie_secret, else
 * $EVENKEEL_COOKIE_SECRET, else a random key for this start (sessions then re-pin after a restart,
 * and the nodes of a fleet would disagree, so say so in the log).
 */
export function resolveCookieSecret(config: Config, env: NodeJS.ProcessEnv = process.env): { secret: string; isEphemeral: boolean } {
  if (config.proxy.cookie_secret) return { secret: config.proxy.cookie_secret, isEphemeral: false };
  const fromEnv = env.EVENKEEL_COOKIE_SECRET;
  if (fromEnv && fromEnv.length >= 16) return { secret: fromEnv, isEphemeral: false };
  return { secret: randomBytes(32).toString('base64url'), isEphemeral: true };
}
