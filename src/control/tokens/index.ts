export { TOKEN_ROLES, isTokenRole, type TokenRole } from './roles.js';
export { createToken, verifyToken, revokeToken, listTokens, type TokenInfo, type TokenIdentity, type NewToken } from './tokens.js';
export { ensureBootstrapAdmin, BOOTSTRAP_TOKEN_ENV, BOOTSTRAP_TOKEN_NAME, type BootstrapResult } from './bootstrap-admin.js';
export { generateTokenString } from './token-string.js';
