import { describe, expect, it } from 'vitest';
import { RequestKey, readCookie } from '../../src/balance/index.js';
import { makeRequest } from './fixtures.js';

describe('reading request keys', () => {
  it('reads one cookie among several, with or without spaces and quotes', () => {
    expect(readCookie({ cookie: 'a=1; ek_session=web-1.1700000000.abc; b=2' }, 'ek_session')).toBe('web-1.1700000000.abc');
    expect(readCookie({ cookie: 'ek_session=x;b=2' }, 'ek_session')).toBe('x');
    expect(readCookie({ cookie: 'b=2;  ek_session="quoted" ' }, 'ek_session')).toBe('quoted');
    expect(readCookie({ cookie: 'xek_session=1; ek_sessionx=2' }, 'ek_session')).toBeUndefined();
    expect(readCookie({}, 'ek_session')).toBeUndefined();
  });

  it('hashes a path without its query string, so /cart?a and /cart?b go together', () => {
    const key = new RequestKey('path', '');
    expect(key.hash(makeRequest('1.1.1.1', '/cart?a=1'), 0)).toBe(key.hash(makeRequest('2.2.2.2', '/cart?b=2'), 0));
    expect(key.hash(makeRequest('1.1.1.1', '/cart'), 0)).not.toBe(key.hash(makeRequest('1.1.1.1', '/cart2'), 0));
  });

  it('reports no key when the header or cookie is absent or empty', () => {
    expect(new RequestKey('header', 'X-User').hash(makeRequest('1.1.1.1', '/', {}), 0)).toBe(-1);
    expect(new RequestKey('header', 'X-User').hash(makeRequest('1.1.1.1', '/', { 'x-user': '' }), 0)).toBe(-1);
    expect(new RequestKey('header', 'X-User').hash(makeRequest('1.1.1.1', '/', { 'x-user': 'u1' }), 0)).toBeGreaterThanOrEqual(0);
    expect(new RequestKey('cookie', 'sid').hash(makeRequest('1.1.1.1', '/', { cookie: 'other=1' }), 0)).toBe(-1);
    const cookieKey = new RequestKey('cookie', 'sid');
    expect(cookieKey.hash(makeRequest('1.1.1.1', '/', { cookie: 'a=1; sid=abc' }), 0)).toBe(cookieKey.hash(makeRequest('9.9.9.9', '/x', { cookie: 'sid=abc; z=2' }), 0));
  });
});
