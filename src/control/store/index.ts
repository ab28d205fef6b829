export { openStore, type Store, type StoreSession, type OpenStoreOptions } from './store.js';
export { parseStoreUrl, type StoreLocation } from './store-url.js';
export { lockStoreForWrite } from './write-lock.js';
export { CONFIG_CHANNEL, announceConfigVersion, parseConfigAnnouncement } from './config-announce.js';
export {
  recordConfigVersion,
  getConfigVersion,
  latestConfigVersion,
  listConfigVersions,
  type ConfigVersion,
  type ConfigVersionSummary,
  type NewConfigVersion,
} from './config-versions.js';
export type { StoreDialect } from './migrations.js';
export { GENESIS_HASH } from './genesis.js';
export * from './tables.js';
export { loadPg } from './pg-module.js';
