/** The `prev_hash` of the first event: 64 zeros, the width of a SHA-256 hex digest. */
export const GENESIS_HASH = '0'.repeat(64);
