import type { EventTable, StoreSession } from '../store/index.js';
import { GENESIS_HASH } from '../store/index.js';
import { hashEvent } from './event-hash.js';

export type EventTamper = 'edited' | 'deleted' | 'reordered';

export type EventVerification =
  | { readonly ok: true; readonly count: number }
  | {
      readonly ok: false;
      /** The first seq that is not what was appended (for a deleted row, the missing seq). */
      readonly firstBadSeq: number;
      readonly reason: EventTamper;
      /** One sentence for the CLI and the admin API. */
      readonly detail: string;
    };

const PAGE_SIZE = 1000;

/**
 * Walks the audit log in seq order and checks every link. It reports the first row that breaks the
 * chain, classified as:
 * - `deleted`: a seq is missing (a gap, a missing first row, or a tail shorter than the chain head);
 * - `reordered`: a row's prev_hash is the hash of some other row, not of the row before it;
 * - `edited`: a row's content no longer matches its hash, or it was rewritten with a recomputed hash
 *   (then the next row's link no longer matches and the rewritten row is named).
 * Events appended while it runs are not checked (it reads the chain head first and stops there).
 */
export async function verifyEvents(session: StoreSession): Promise<EventVerification> {
  const head = await session.db.selectFrom('event_chain_head').selectAll().where('id', '=', 1).executeTakeFirstOrThrow();
  let expectedSeq = 1;
  let lastHash = GENESIS_HASH;
  for (let cursor = 0; cursor < head.last_seq; ) {
    const rows = await session.db
      .selectFrom('events')
      .selectAll()
      .where('seq', '>', cursor)
      .where('seq', '<=', head.last_seq)
      .orderBy('seq', 'asc')
      .limit(PAGE_SIZE)
      .execute();
    if (rows.length === 0) break;
    for (const row of rows) {
      const broken = await checkRow(session, row, expectedSeq, lastHash);
      if (broken !== undefined) return broken;
      lastHash = row.hash;
      expectedSeq = row.seq + 1;
    }
    cursor = rows[rows.length - 1]!.seq;
  }
  const count = expectedSeq - 1;
  if (count < head.last_seq) {
    return bad(expectedSeq, 'deleted', `the chain head records ${head.last_seq} events but the log ends at seq ${count}`);
  }
  if (lastHash !== head.last_hash) {
    return bad(count, 'edited', `event ${count} does not hash to the value recorded in the chain head`);
  }
  return { ok: true, count };
}

async function checkRow(session: StoreSession, row: EventTable, expectedSeq: number, lastHash: string): Promise<EventVerification | undefined> {
  if (row.seq !== expectedSeq) {
    const missing = row.seq - 1 === expectedSeq ? `event ${expectedSeq} is` : `events ${expectedSeq} to ${row.seq - 1} are`;
    return bad(expectedSeq, 'deleted', `${missing} missing`);
  }
  const isSelfConsistent = hashEvent(row.prev_hash, toFields(row)) === row.hash;
  if (row.prev_hash !== lastHash) {
    const linked = await session.db.selectFrom('events').select('seq').where('hash', '=', row.prev_hash).executeTakeFirst();
    if (linked !== undefined && linked.seq !== row.seq - 1) {
      return bad(row.seq, 'reordered', `event ${row.seq} follows event ${linked.seq} in the chain, not event ${row.seq - 1}`);
    }
    if (!isSelfConsistent) return bad(row.seq, 'edited', `event ${row.seq} does not match its hash`);
    if (row.seq === 1) return bad(1, 'edited', 'event 1 does not start from the genesis hash');
    return bad(row.seq - 1, 'edited', `event ${row.seq - 1} was rewritten: event ${row.seq} was chained to a different version of it`);
  }
  if (!isSelfConsistent) return bad(row.seq, 'edited', `event ${row.seq} does not match its hash`);
  return undefined;
}

function toFields(row: EventTable) {
  return { seq: row.seq, at: row.at, kind: row.kind, actor: row.actor, subject: row.subject, dataJson: row.data_json };
}

function bad(firstBadSeq: number, reason: EventTamper, detail: string): EventVerification {
  return { ok: false, firstBadSeq, reason, detail };
}
