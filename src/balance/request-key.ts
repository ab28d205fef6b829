import type { IncomingHttpHeaders } from 'node:http';
import type { PickRequest } from './picker.js';
import { hashRange } from './string-hash.js';

// What a hash picker or a stick table keys on. Everything here reads the request in place: header
// values and the source address are used as they are, a cookie or a path is hashed over its range of
// the header string without slicing it out.

export type RequestKeyKind = 'header' | 'cookie' | 'source_ip' | 'path';

/** Returned by RequestKey.hash when the request has no such key (no header, no cookie). */
export const NO_KEY = -1;

const EQUALS = 0x3d;
const SPACE = 0x20;
const TAB = 0x09;
const QUOTE = 0x22;

/** The first value of a header (Node gives string[] for a few repeated headers), or undefined. */
export function headerValue(headers: IncomingHttpHeaders, lowerCaseName: string): string | undefined {
  const value = headers[lowerCaseName];
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value[0];
}

/**
 * Start of the value of cookie `name` in a Cookie header (RFC 6265 section 5.4: "name=value" pairs
 * separated by "; "), or -1. Node joins repeated Cookie headers with "; ", so one string is enough.
 */
export function findCookieStart(cookieHeader: string, name: string): number {
  let position = 0;
  const length = cookieHeader.length;
  while (position < length) {
    let code = cookieHeader.charCodeAt(position);
    while (code === SPACE || code === TAB) code = cookieHeader.charCodeAt(++position);
    if (cookieHeader.startsWith(name, position) && cookieHeader.charCodeAt(position + name.length) === EQUALS) {
      return position + name.length + 1;
    }
    const next = cookieHeader.indexOf(';', position);
    if (next < 0) return -1;
    position = next + 1;
  }
  return -1;
}

/** End (exclusive) of a cookie value starting at `start`. */
export function findCookieEnd(cookieHeader: string, start: number): number {
  const end = cookieHeader.indexOf(';', start);
  let last = end < 0 ? cookieHeader.length : end;
  while (last > start && (cookieHeader.charCodeAt(last - 1) === SPACE || cookieHeader.charCodeAt(last - 1) === TAB)) last--;
  return last;
}

/**
 * The value of one cookie from a request's Cookie header (surrounding double quotes removed), or
 * undefined. For the proxy or anyone else who needs one cookie without parsing them all.
 */
export function readCookie(headers: IncomingHttpHeaders, name: string): string | undefined {
  const header = headers.cookie;
  if (header === undefined) return undefined;
  let start = findCookieStart(header, name);
  if (start < 0) return undefined;
  let end = findCookieEnd(header, start);
  if (end - start >= 2 && header.charCodeAt(start) === QUOTE && header.charCodeAt(end - 1) === QUOTE) {
    start++;
    end--;
  }
  return header.slice(start, end);
}

/** Extracts and hashes one key of a request, as configured by `hash.by` and `hash.name`. */
export class RequestKey {
  readonly kind: RequestKeyKind;
  /** Header name in lower case, or cookie name. */
  readonly name: string;

  constructor(kind: RequestKeyKind, name: string) {
    this.kind = kind;
    this.name = kind === 'header' ? name.toLowerCase() : name;
  }

  /** The key's 32-bit hash, or NO_KEY when the request lacks it. */
  hash(request: PickRequest, seed: number): number {
    switch (this.kind) {
      case 'source_ip':
        return hashRange(request.sourceIp, 0, request.sourceIp.length, seed);
      case 'path': {
        // The query string is not part of the key: /cart?x=1 and /cart?x=2 belong together.
        const path = request.path;
        const query = path.indexOf('?');
        return hashRange(path, 0, query < 0 ? path.length : query, seed);
      }
      case 'header': {
        const value = headerValue(request.headers, this.name);
        return value === undefined || value.length === 0 ? NO_KEY : hashRange(value, 0, value.length, seed);
      }
      case 'cookie': {
        const header = request.headers.cookie;
        if (header === undefined) return NO_KEY;
        const start = findCookieStart(header, this.name);
        if (start < 0) return NO_KEY;
        const end = findCookieEnd(header, start);
        return end === start ? NO_KEY : hashRange(header, start, end, seed);
      }
    }
  }
}
