import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';

/** The fields of an event row that its hash covers (all but `hash` itself; `prev_hash` is the prefix). */
export interface HashedEventFields {
  readonly seq: number;
  readonly at: number;
  readonly kind: string;
  readonly actor: string;
  readonly subject: string;
  /** The stored text, hashed as is: re-serializing on verify could hide an edit that re-orders keys. */
  readonly dataJson: string;
}

/**
 * hash = SHA-256(prev_hash + canonical JSON of the row's fields), hex. Chaining each row to the one
 * before it (as in Schneier and Kelsey, "Secure Audit Logs to Support Computer Forensics", 1999)
 * means editing or removing a row breaks every link after it.
 */
export function hashEvent(prevHash: string, fields: HashedEventFields): string {
  const body = canonicalJson({
    actor: fields.actor,
    at: fields.at,
    data_json: fields.dataJson,
    kind: fields.kind,
    seq: fields.seq,
    subject: fields.subject,
  });
  return createHash('sha256').update(prevHash).update(body).digest('hex');
}
