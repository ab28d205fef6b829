import { monitorSchema } from './monitor-schema.js';
import { policySchema } from './policy-schema.js';
import type { Config } from './schema.js';

// Config versions are stored as the parsed config (JSON, durations in milliseconds). A version stored
// by an older evenkeel lacks the sections and keys added since; reading it back fills them with their
// defaults, so the node never meets an `undefined` section. It cannot simply be parsed again: the
// schema's input is YAML-shaped ("30s"), the stored form is its output (30000).

/** Sections whose every key has a default, as parsed outputs. Pools carry no defaults to add. */
const SECTION_DEFAULTS: Record<string, () => unknown> = {
  policy: () => policySchema.parse({}),
  monitor: () => monitorSchema.parse({}),
};

/** A stored config with the defaults of sections and keys it predates filled in. */
export function withConfigDefaults(stored: unknown): Config {
  const config = { ...(stored as Record<string, unknown>) };
  for (const [section, defaults] of Object.entries(SECTION_DEFAULTS)) config[section] = mergeDefaults(config[section], defaults());
  return config as unknown as Config;
}

/** The stored section's values, with the default wherever a key is missing (recursively for mappings). */
export function mergeDefaults(stored: unknown, defaults: unknown): unknown {
  if (stored === undefined) return defaults;
  if (!isMapping(stored) || !isMapping(defaults)) return stored;
  const merged: Record<string, unknown> = { ...stored };
  for (const [key, value] of Object.entries(defaults)) merged[key] = mergeDefaults(stored[key], value);
  return merged;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
