import { describe, expect, it } from 'vitest';
import { compileRoutes, hostWithoutPort, matchRoute } from '../../src/proxy/index.js';

const routes = compileRoutes(
  [
    { match: { host: 'API.example.com', path_prefix: '/v2' }, pool: 'api-v2' },
    { match: { host: 'api.example.com' }, pool: 'api' },
    { match: { host: '*.example.com' }, pool: 'wildcard' },
    { match: { path_prefix: '/admin', headers: { 'X-Tenant': 'blue' } }, pool: 'blue-admin' },
    { match: { path_prefix: '/static' }, pool: 'static' },
  ],
  ['api-v2', 'api', 'wildcard', 'blue-admin', 'static'],
);

describe('router', () => {
  it('matches the host case-insensitively and ignores the port', () => {
    expect(matchRoute(routes, 'Api.Example.COM:8443', '/', {})?.poolName).toBe('api');
    expect(matchRoute(routes, 'SHOP.example.com:80', '/', {})?.poolName).toBe('wildcard');
  });

  it('lets a request without a Host header reach only routes that do not ask for one', () => {
    expect(matchRoute(routes, undefined, '/static/app.js', {})?.poolName).toBe('static');
    expect(matchRoute(routes, undefined, '/v2/users', {})).toBeUndefined();
  });

  it('takes the first route that matches, so more specific routes go first', () => {
    expect(matchRoute(routes, 'api.example.com', '/v2/users', {})?.poolName).toBe('api-v2');
    expect(matchRoute(routes, 'api.example.com', '/v1/users', {})?.poolName).toBe('api');
  });

  it('matches any subdomain for *.example.com but not the bare domain', () => {
    expect(matchRoute(routes, 'shop.example.com', '/', {})?.poolName).toBe('wildcard');
    expect(matchRoute(routes, 'a.b.example.com', '/', {})?.poolName).toBe('wildcard');
    expect(matchRoute(routes, 'example.com', '/', {})).toBeUndefined();
    expect(matchRoute(routes, 'notexample.com', '/', {})).toBeUndefined();
  });

  it('requires every listed header with exactly the listed value', () => {
    expect(matchRoute(routes, 'other.test', '/admin/x', { 'x-tenant': 'blue' })?.poolName).toBe('blue-admin');
    expect(matchRoute(routes, 'other.test', '/admin/x', { 'x-tenant': 'green' })).toBeUndefined();
    expect(matchRoute(routes, 'other.test', '/admin/x', {})).toBeUndefined();
  });

  it('matches a path prefix', () => {
    expect(matchRoute(routes, 'other.test', '/static/app.js', {})?.poolName).toBe('static');
    expect(matchRoute(routes, 'other.test', '/dynamic', {})).toBeUndefined();
  });

  it('sends everything to the only pool when there are no routes', () => {
    const single = compileRoutes([], ['web']);
    expect(matchRoute(single, 'anything', '/x', {})?.poolName).toBe('web');
    expect(compileRoutes([], ['a', 'b'])).toEqual([]);
  });

  it('strips ports from IPv6 literal hosts', () => {
    expect(hostWithoutPort('[::1]:8080')).toBe('[::1]');
    expect(hostWithoutPort('[::1]')).toBe('[::1]');
    expect(hostWithoutPort(undefined)).toBe('');
  });
});
