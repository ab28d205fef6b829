import { EventLogError } from '../errors.js';
import { lockStoreForWrite, type EventChainHeadTable, type StoreSession } from '../store/index.js';
import type { AuditEvent } from './audit-event.js';
import { canonicalJson } from './canonical-json.js';
import { hashEvent } from './event-hash.js';

export interface EventInput {
  /** e.g. `change.applied` (see EVENT_KINDS): lower case, dots, underscores, dashes. */
  readonly kind: string;
  /** Who did it: a token name, `system`, `node:<id>`. */
  readonly actor: string;
  /** What it was done to: `change:42`, `token:ops-ci`, `pool:portal/web-1`. May be empty. */
  readonly subject: string;
  /** Any plain JSON value; stored as canonical JSON. */
  readonly data?: unknown;
}

const KIND = /^[a-z][a-z0-9_.-]{0,99}$/;
const MAX_FIELD_LENGTH = 1000;

/**
 * Appends one event to the hash chain and returns it once committed. Inside a caller's transaction
 * it commits with that transaction. Throws EventLogError EK_EVENT_INVALID on malformed input.
 */
export async function appendEvent(session: StoreSession, input: EventInput): Promise<AuditEvent> {
  validate(input);
  const dataJson = canonicalJson(input.data ?? null);
  return session.transaction(async (tx) => {
    const head = await lockEventChain(tx);
    const seq = head.last_seq + 1;
    const at = Date.now();
    const fields = { seq, at, kind: input.kind, actor: input.actor, subject: input.subject, dataJson };
    const hash = hashEvent(head.last_hash, fields);
    await tx.db
      .insertInto('events')
      .values({ seq, at, kind: input.kind, actor: input.actor, subject: input.subject, data_json: dataJson, prev_hash: head.last_hash, hash })
      .execute();
    await tx.db.updateTable('event_chain_head').set({ last_seq: seq, last_hash: hash }).where('id', '=', 1).execute();
    return { seq, at, kind: input.kind, actor: input.actor, subject: input.subject, data: JSON.parse(dataJson) as unknown, prevHash: head.last_hash, hash };
  });
}

/**
 * Reads the chain head and holds it until the transaction ends, so that appenders on every node take
 * turns and the chain never forks (see lockStoreForWrite).
 */
export function lockEventChain(tx: StoreSession): Promise<EventChainHeadTable> {
  return lockStoreForWrite(tx);
}

function validate(input: EventInput): void {
  if (typeof input.kind !== 'string' || !KIND.test(input.kind)) {
    throw new EventLogError('EK_EVENT_INVALID', `event kind ${JSON.stringify(input.kind)} must be lower case letters, digits, ".", "_" or "-", like "change.applied"`);
  }
  if (typeof input.actor !== 'string' || input.actor.length === 0 || input.actor.length > MAX_FIELD_LENGTH) {
    throw new EventLogError('EK_EVENT_INVALID', `event actor ${JSON.stringify(input.actor)} must be a non-empty string of at most ${MAX_FIELD_LENGTH} characters (a token name, "system", "node:<id>")`);
  }
  if (typeof input.subject !== 'string' || input.subject.length > MAX_FIELD_LENGTH) {
    throw new EventLogError('EK_EVENT_INVALID', `event subject must be a string of at most ${MAX_FIELD_LENGTH} characters, like "change:42"`);
  }
}
