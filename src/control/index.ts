export * from './errors.js';
export * from './store/index.js';
export * from './events/index.js';
export * from './tokens/index.js';
export * from './simulation/index.js';
export * from './policy/index.js';
export * from './changes/index.js';
export * from './alerts/index.js';
