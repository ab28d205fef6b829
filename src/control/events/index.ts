export { appendEvent, lockEventChain, type EventInput } from './append-event.js';
export { listEvents, DEFAULT_EVENT_LIMIT, MAX_EVENT_LIMIT, type EventQuery } from './list-events.js';
export { verifyEvents, type EventVerification, type EventTamper } from './verify-events.js';
export { EVENT_KINDS, type AuditEvent } from './audit-event.js';
export { canonicalJson } from './canonical-json.js';
export { hashEvent, type HashedEventFields } from './event-hash.js';
