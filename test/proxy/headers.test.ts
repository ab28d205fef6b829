import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { filterRequestHeaders, filterResponseHeaders, type IncomingForwarded } from '../../src/proxy/hop-by-hop.js';
import { appendForwarded, TrustedProxies } from '../../src/proxy/forwarded.js';

function emptySeen(): IncomingForwarded {
  return { forwardedFor: undefined, forwardedProto: undefined, forwardedHost: undefined, host: undefined };
}

const HOP = ['Connection', 'Keep-Alive', 'Proxy-Connection', 'TE', 'Trailer', 'Transfer-Encoding', 'Upgrade', 'Proxy-Authenticate', 'Proxy-Authorization'];

describe('hop-by-hop filtering', () => {
  it('drops every hop-by-hop header whatever its case and keeps the rest in order', () => {
    const raw = ['Host', 'a', ...HOP.flatMap((name) => [name.toUpperCase(), 'x']), 'X-One', '1', 'x-two', '2'];
    const out: string[] = [];
    const seen = emptySeen();
    filterRequestHeaders(raw, out, seen);
    expect(out).toEqual(['Host', 'a', 'X-One', '1', 'x-two', '2']);
    expect(seen.host).toBe('a');
  });

  it('drops headers named by Connection on requests and responses', () => {
    const out: string[] = [];
    filterRequestHeaders(['Connection', 'keep-alive, X-Private', 'X-Private', 'p', 'X-Public', 'q'], out, emptySeen());
    expect(out).toEqual(['X-Public', 'q']);
    const response: string[] = [];
    filterResponseHeaders(['Connection', 'x-internal', 'X-Internal', 'i', 'Content-Type', 'text/plain'].map((s) => Buffer.from(s)), response);
    expect(response).toEqual(['Content-Type', 'text/plain']);
  });

  it('never forwards a hop-by-hop header, for any mix of headers', () => {
    const name = fc.oneof(fc.constantFrom(...HOP, 'X-A', 'Content-Type', 'Accept'), fc.stringMatching(/^[A-Za-z][A-Za-z-]{0,20}$/));
    fc.assert(
      fc.property(fc.array(fc.tuple(name, fc.stringMatching(/^[ -~]{0,10}$/)), { maxLength: 20 }), (pairs) => {
        const out: string[] = [];
        filterRequestHeaders(pairs.flat(), out, emptySeen());
        const names = out.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
        for (const hop of HOP) expect(names).not.toContain(hop.toLowerCase());
      }),
      { numRuns: 200 },
    );
  });

  it('collects incoming X-Forwarded-* values and joins repeated X-Forwarded-For', () => {
    const out: string[] = [];
    const seen = emptySeen();
    filterRequestHeaders(['X-Forwarded-For', '1.1.1.1', 'x-forwarded-for', '2.2.2.2', 'X-Forwarded-Proto', 'https', 'X-Forwarded-Host', 'h'], out, seen);
    expect(out).toEqual([]);
    expect(seen).toMatchObject({ forwardedFor: '1.1.1.1, 2.2.2.2', forwardedProto: 'https', forwardedHost: 'h' });
  });
});

describe('trusted proxies', () => {
  const trusted = new TrustedProxies(['10.0.0.0/8', '192.168.1.5', '2001:db8::/32']);

  it('trusts addresses inside the listed CIDRs, IPv4 and IPv6, including IPv4-mapped peers', () => {
    expect(trusted.has('10.1.2.3')).toBe(true);
    expect(trusted.has('::ffff:10.1.2.3')).toBe(true);
    expect(trusted.has('192.168.1.5')).toBe(true);
    expect(trusted.has('2001:db8::1')).toBe(true);
    expect(trusted.has('192.168.1.6')).toBe(false);
    expect(trusted.has('2001:db9::1')).toBe(false);
    expect(trusted.has(undefined)).toBe(false);
  });

  it('finds the client in a forwarded chain: the rightmost hop that is not a trusted proxy', () => {
    expect(trusted.clientOf('203.0.113.7', '10.0.0.2')).toBe('203.0.113.7');
    expect(trusted.clientOf('6.6.6.6, 203.0.113.7, 10.9.9.9', '10.0.0.2')).toBe('203.0.113.7');
    expect(trusted.clientOf('10.1.1.1, 10.2.2.2', '10.0.0.2')).toBe('10.1.1.1');
    expect(trusted.clientOf('garbage', '10.0.0.2')).toBe('10.0.0.2');
  });

  it('rejects entries that are not addresses with a stable code', () => {
    expect(() => new TrustedProxies(['not-an-ip'])).toThrow(expect.objectContaining({ code: 'EK_PROXY_TRUSTED_INVALID' }));
    expect(() => new TrustedProxies(['10.0.0.0/40'])).toThrow(expect.objectContaining({ code: 'EK_PROXY_TRUSTED_INVALID' }));
  });

  it('replaces forwarded values from untrusted peers and appends for trusted ones', () => {
    const seen = { forwardedFor: '6.6.6.6', forwardedProto: 'https', forwardedHost: 'spoof', host: 'real.example' };
    const untrusted: string[] = [];
    appendForwarded(untrusted, seen, '1.2.3.4', 'http', false);
    expect(untrusted).toEqual(['x-forwarded-for', '1.2.3.4', 'x-forwarded-proto', 'http', 'x-forwarded-host', 'real.example']);
    const fromTrusted: string[] = [];
    appendForwarded(fromTrusted, seen, '10.0.0.2', 'http', true);
    expect(fromTrusted).toEqual(['x-forwarded-for', '6.6.6.6, 10.0.0.2', 'x-forwarded-proto', 'https', 'x-forwarded-host', 'spoof']);
  });
});
