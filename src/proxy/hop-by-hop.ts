// Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection and must not be forwarded:
// Connection and every header it names, Keep-Alive, Proxy-Connection, TE, Trailer,
// Transfer-Encoding, Upgrade, Proxy-Authenticate, Proxy-Authorization. Everything else passes
// through with its original spelling and order (the raw header list), the way HAProxy does.

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
]);

/** Request headers the proxy writes itself (X-Forwarded-*), or that undici manages (Expect). */
const REPLACED_ON_REQUEST = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'expect']);

// Lower-casing every header name would allocate a string per header per request; only names whose
// length matches one we drop can possibly be dropped, so only those are lower-cased.
const CANDIDATE_LENGTHS = new Uint8Array(32);
for (const name of [...HOP_BY_HOP, ...REPLACED_ON_REQUEST]) CANDIDATE_LENGTHS[name.length] = 1;

function isCandidate(name: string): boolean {
  return name.length < 32 && CANDIDATE_LENGTHS[name.length] === 1;
}

/**
 * Adds the header names a Connection header value lists ("close, x-foo" → "x-foo") to `named`.
 * The usual values, "keep-alive" and "close", name nothing to remove and allocate nothing.
 */
function addConnectionTokens(named: string[] | undefined, value: string): string[] | undefined {
  if (value.length <= 10) {
    const lower = value.toLowerCase();
    if (lower === 'keep-alive' || lower === 'close' || lower === 'upgrade') return named;
  }
  for (const part of value.split(',')) {
    const token = part.trim().toLowerCase();
    if (token.length > 0 && !HOP_BY_HOP.has(token)) (named ??= []).push(token);
  }
  return named;
}

/** Removes, in place, the pairs of a flat header list whose names a Connection header listed. */
function removeNamed(out: string[], from: number, named: string[]): void {
  let kept = from;
  for (let i = from; i < out.length; i += 2) {
    if (named.includes(out[i].toLowerCase())) continue;
    out[kept++] = out[i];
    out[kept++] = out[i + 1];
  }
  out.length = kept;
}

/** The X-Forwarded-* values a client sent, collected while filtering (reused per request). */
export interface IncomingForwarded {
  forwardedFor: string | undefined;
  forwardedProto: string | undefined;
  forwardedHost: string | undefined;
  /** The client's Host header. */
  host: string | undefined;
}

/**
 * Copies a request's raw header list (name, value, name, value, ...) into `out`, dropping
 * hop-by-hop headers and the ones the proxy replaces, and collects the X-Forwarded-* values it saw.
 */
export function filterRequestHeaders(raw: string[], out: string[], seen: IncomingForwarded): void {
  const from = out.length;
  let named: string[] | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    const value = raw[i + 1];
    if (name.length === 4 && (name === 'Host' || name.toLowerCase() === 'host')) seen.host = value;
    if (isCandidate(name)) {
      const lower = name.toLowerCase();
      if (HOP_BY_HOP.has(lower)) {
        if (lower === 'connection') named = addConnectionTokens(named, value);
        continue;
      }
      if (REPLACED_ON_REQUEST.has(lower)) {
        if (lower === 'x-forwarded-for') seen.forwardedFor = seen.forwardedFor === undefined ? value : `${seen.forwardedFor}, ${value}`;
        else if (lower === 'x-forwarded-proto') seen.forwardedProto ??= value;
        else if (lower === 'x-forwarded-host') seen.forwardedHost ??= value;
        continue;
      }
    }
    out.push(name, value);
  }
  if (named !== undefined) removeNamed(out, from, named);
}

/**
 * Copies an upstream response's raw header list (undici gives Buffers) into `out` as strings,
 * dropping hop-by-hop headers. latin1 keeps every byte of obs-text values as it was.
 */
export function filterResponseHeaders(raw: Buffer[], out: string[]): void {
  const from = out.length;
  let named: string[] | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toString('latin1');
    if (isCandidate(name)) {
      const lower = name.toLowerCase();
      if (HOP_BY_HOP.has(lower)) {
        if (lower === 'connection') named = addConnectionTokens(named, raw[i + 1].toString('latin1'));
        continue;
      }
    }
    out.push(name, raw[i + 1].toString('latin1'));
  }
  if (named !== undefined) removeNamed(out, from, named);
}
