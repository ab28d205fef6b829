export { openStore, type Store, type StoreSession, type OpenStoreOptions } from './store.js';
export { parseStoreUrl, type StoreLocation } from './store-url.js';
export type { StoreDialect } from './migrations.js';
export { GENESIS_HASH } from './genesis.js';
export * from './tables.js';
