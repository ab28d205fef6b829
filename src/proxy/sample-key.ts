import type { PoolConfig } from '../config/index.js';
import { hashRange, type PickRequest } from '../balance/index.js';
import { NO_SAMPLE_KEY, sampleKeySpecOf, type SampleKeyKind } from '../telemetry/index.js';

// The key of a request as the request sample records it (telemetry/request-sample.ts): a 32-bit
// hash of whatever the pool's balancer looks at, computed in place over the request's strings, so
// recording a pick allocates nothing. The replay uses it only as a client's identity, so it need not
// be the balancer's own hash, and it is made cheap (bench/request-sample.ts):
// - at most the last KEY_TAIL_CHARS characters are hashed: session ids, addresses and cookie values
//   differ in their tails (a persistence cookie ends in its MAC);
// - a cookie is found with one native indexOf of "name=", not by walking every cookie.
// Built once per pool per snapshot.

const KEY_TAIL_CHARS = 16;
const SEMICOLON = 0x3b;
const SPACE = 0x20;
const TAB = 0x09;

export class SampleKey {
  private readonly kind: SampleKeyKind;
  private readonly headerName: string;
  /** "name=" of the cookie, searched for as a whole. */
  private readonly cookieNeedle: string;
  /** For persistence cookies, whose values many clients share: the source address is hashed in. */
  private readonly mixesSourceIp: boolean;

  constructor(pool: PoolConfig) {
    const spec = sampleKeySpecOf(pool);
    this.kind = spec.kind;
    this.headerName = spec.name;
    this.cookieNeedle = `${spec.name}=`;
    this.mixesSourceIp = spec.mixesSourceIp;
  }

  /** Unsigned 32-bit hash of the request's key, or NO_SAMPLE_KEY when it has none. */
  hash(request: PickRequest): number {
    switch (this.kind) {
      case 'none':
        return NO_SAMPLE_KEY;
      case 'source_ip':
        return hashTail(request.sourceIp, 0, request.sourceIp.length, 0);
      case 'path': {
        const path = request.path;
        const query = path.indexOf('?');
        return hashTail(path, 0, query < 0 ? path.length : query, 0);
      }
      case 'header': {
        const raw = request.headers[this.headerName];
        const value = typeof raw === 'string' ? raw : raw?.[0];
        return value === undefined || value.length === 0 ? NO_SAMPLE_KEY : hashTail(value, 0, value.length, 0);
      }
      case 'cookie':
        return this.hashCookie(request);
    }
  }

  private hashCookie(request: PickRequest): number {
    const header = request.headers.cookie;
    if (header === undefined) return NO_SAMPLE_KEY;
    const needle = this.cookieNeedle;
    let at = header.indexOf(needle);
    // "name=" must start a cookie, not end another one's name ("xek_session=").
    while (at > 0) {
      const before = header.charCodeAt(at - 1);
      if (before === SEMICOLON || before === SPACE || before === TAB) break;
      at = header.indexOf(needle, at + 1);
    }
    if (at < 0) return NO_SAMPLE_KEY;
    const start = at + needle.length;
    let end = header.indexOf(';', start);
    if (end < 0) end = header.length;
    while (end > start && (header.charCodeAt(end - 1) === SPACE || header.charCodeAt(end - 1) === TAB)) end--;
    if (end === start) return NO_SAMPLE_KEY;
    const seed = this.mixesSourceIp ? hashTail(request.sourceIp, 0, request.sourceIp.length, 0) : 0;
    return hashTail(header, start, end, seed);
  }
}

function hashTail(text: string, start: number, end: number, seed: number): number {
  return hashRange(text, end - start > KEY_TAIL_CHARS ? end - KEY_TAIL_CHARS : start, end, seed);
}
