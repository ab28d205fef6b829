import type { Config } from '../../config/index.js';
import { canonicalJson } from '../../control/index.js';

/**
 * The settings that belong to one node of a fleet, not to the fleet's shared config: where it listens,
 * its admin API, its worker count, its store URL and its demo upstreams. Each node takes them from its
 * own config file, whatever the shared version says, so three nodes on one host can share a config and
 * a restart never makes one node bind another's port.
 */
export const NODE_LOCAL_KEYS = ['listen', 'admin', 'workers', 'store', 'demo'] as const satisfies readonly (keyof Config)[];

/** The config this node serves: the fleet's shared `config` with this node's file's node-local settings. */
export function localizeConfig(shared: Config, fileConfig: Config): Config {
  return withNodeLocalSettingsOf(shared, fileConfig);
}

/** `config` with the node-local settings of `source` (absent `demo` stays absent). */
export function withNodeLocalSettingsOf(config: Config, source: Config): Config {
  const result: Config = { ...config, listen: source.listen, admin: source.admin, workers: source.workers, store: source.store };
  if (source.demo === undefined) delete result.demo;
  else result.demo = source.demo;
  return result;
}

/** True when `a` and `b` differ only in node-local settings. */
export function isSameSharedConfig(a: Config, b: Config): boolean {
  return canonicalJson(withNodeLocalSettingsOf(a, b)) === canonicalJson(b);
}
