// The audit/ room: configuration standards. Readers turn evenkeel, NGINX and HAProxy configs into one
// model (model.ts); rules with stable ids judge it against a standards file. Other rooms import only
// from here.
export * from './model.js';
export * from './finding.js';
