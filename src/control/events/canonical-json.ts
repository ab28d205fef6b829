import { EventLogError } from '../errors.js';

/**
 * Canonical JSON in the spirit of RFC 8785 (JCS): object keys sorted by UTF-16 code units, no
 * whitespace, numbers and strings as ECMAScript's JSON.stringify writes them. The same value always
 * gives the same text, on every node and in both dialects, which is what a hash chain needs.
 * `undefined` members are dropped (as JSON.stringify does); non-finite numbers, bigints, functions
 * and cycles are refused, because they would not read back as the value that was hashed.
 */
export function canonicalJson(value: unknown): string {
  return write(value, new Set());
}

function write(value: unknown, path: Set<object>): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw refuse(`the number ${value}`);
      return JSON.stringify(value);
    case 'object':
      break;
    default:
      throw refuse(`a ${typeof value}`);
  }
  const object = value as object;
  if (path.has(object)) throw refuse('a cycle');
  if (typeof (object as { toJSON?: unknown }).toJSON === 'function') {
    return write((object as { toJSON: () => unknown }).toJSON(), path);
  }
  path.add(object);
  let text: string;
  if (Array.isArray(object)) {
    text = `[${object.map((item) => (item === undefined ? 'null' : write(item, path))).join(',')}]`;
  } else {
    const record = object as Record<string, unknown>;
    const members: string[] = [];
    for (const key of Object.keys(record).sort()) {
      const member = record[key];
      if (member === undefined) continue;
      members.push(`${JSON.stringify(key)}:${write(member, path)}`);
    }
    text = `{${members.join(',')}}`;
  }
  path.delete(object);
  return text;
}

function refuse(what: string): EventLogError {
  return new EventLogError('EK_EVENT_INVALID', `event data must be plain JSON; it contains ${what}. Convert it to a string or a finite number first`);
}
