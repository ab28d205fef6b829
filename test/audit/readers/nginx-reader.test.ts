import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNginxDurationMs } from '../../../src/audit/readers/durations.js';
import { readNginxConfig, readNginxText } from '../../../src/audit/readers/nginx-reader.js';

const fixtures = join('test', 'fixtures', 'audit', 'nginx');
const mainFile = join(fixtures, 'reader-main.conf');
const catalogFile = join(fixtures, 'reader-conf.d', 'reader-catalog.conf');

describe('NGINX reader', () => {
  const config = readNginxConfig(mainFile);
  const pool = (name: string) => config.pools.find((candidate) => candidate.name === name)!;

  it('reads a realistic config and the files a glob include names, without problems', () => {
    expect(config.problems).toEqual([]);
    expect(config.files).toEqual([mainFile, catalogFile, join(fixtures, 'reader-conf.d', 'reader-search.conf')]);
    expect(config.pools.map((candidate) => candidate.name)).toEqual(['shop', 'catalog', 'search']);
  });

  it('turns upstream servers into backends with weights, limits, backup, down and passive detection', () => {
    expect(pool('shop').servers.map((server) => [server.address, server.weight, server.maxConnections, server.maxFails, server.isBackup, server.isDisabled])).toEqual([
      ['10.0.0.11:8000', 5, undefined, 3, false, false],
      ['10.0.0.12:8000', 1, 200, undefined, false, false],
      ['10.0.0.13:8000', undefined, undefined, undefined, true, false],
      ['10.0.0.14:8000', undefined, undefined, 0, false, true],
    ]);
    expect(pool('shop').servers[0]!.at).toEqual({ file: mainFile, line: 17, column: 9 });
  });

  it('reads ip_hash as source-IP balancing and hash ... consistent as unbounded hashing on the key', () => {
    expect(pool('shop').balance).toEqual({ value: 'source-ip', at: { file: mainFile, line: 16, column: 9 } });
    expect(pool('catalog').hashing).toEqual({ key: 'uri', expression: '$request_uri', isConsistent: true, boundFactor: undefined, at: { file: catalogFile, line: 2, column: 5 } });
    expect(pool('search').balance?.value).toBe('least-connections');
  });

  it('reads sticky cookie expiry, queue, slow start and the health check of the location that passes to the upstream', () => {
    expect(pool('catalog').persistence).toEqual([{ kind: 'cookie', ttlMs: 7_200_000, boundFactor: undefined, at: { file: catalogFile, line: 3, column: 5 } }]);
    expect(pool('catalog').queue?.value).toEqual({ size: 100, timeoutMs: 70_000 });
    expect(pool('catalog').servers.map((server) => server.slowStartMs)).toEqual([30_000, 30_000]);
    expect(pool('catalog').healthCheck).toMatchObject({ isEnabled: true, intervalMs: 2000, rise: 2, fall: 3, at: { file: catalogFile, line: 14 } });
    expect(pool('shop').healthCheck).toBeUndefined();
  });

  it('attributes proxy timeouts to the upstream with http → server → location inheritance, keeping the longest', () => {
    // http sets connect 5s and read 60s; /checkout overrides read with 10m; the catalog server overrides connect with 3s.
    expect(pool('shop').timeouts.connect).toEqual({ value: 5000, at: { file: mainFile, line: 10, column: 5 } });
    expect(pool('shop').timeouts.server).toEqual({ value: 600_000, at: { file: mainFile, line: 34, column: 13 } });
    expect(pool('catalog').timeouts.connect).toEqual({ value: 3000, at: { file: catalogFile, line: 11, column: 5 } });
    expect(pool('catalog').timeouts.server?.value).toBe(60_000);
    expect(pool('search').timeouts).toEqual({});
  });

  it('sees non_idempotent retries in any location that passes to the upstream', () => {
    expect(pool('shop').retries).toEqual({ count: 3, retriesNonIdempotent: true, at: { file: mainFile, line: 35, column: 13 } });
    expect(pool('catalog').retries?.retriesNonIdempotent).toBe(false);
  });

  it('reports stub_status and api beyond loopback, with allow/deny as protection and write=on as able to change state', () => {
    expect(config.admin.map((admin) => [admin.kind, admin.address, admin.isLoopbackOnly, admin.hasAuthentication, admin.canChangeState, admin.at.line])).toEqual([
      ['nginx-status', '0.0.0.0:8080', false, false, false, 44],
      ['nginx-api', '0.0.0.0:8080', false, true, true, 47],
      ['nginx-status', '127.0.0.1:8081', true, false, false, 55],
    ]);
  });

  it('keeps every directive in settings with the block it sits in', () => {
    expect(config.settings.find((setting) => setting.key === 'proxy_next_upstream_tries')).toEqual({ key: 'proxy_next_upstream_tries', args: ['3'], scope: 'location /checkout', at: { file: mainFile, line: 36, column: 13 } });
    expect(config.settings.find((setting) => setting.key === 'zone')?.scope).toBe('upstream shop');
    expect(config.settings.find((setting) => setting.key === 'worker_processes')?.scope).toBe('main');
    expect(config.settings.find((setting) => setting.key === 'server_name')?.args).toEqual(['shop.example.com']);
    // Directives from an included file sit in the block of the `include`.
    expect(config.settings.find((setting) => setting.key === 'upstream' && setting.args[0] === 'catalog')).toEqual({ key: 'upstream', args: ['catalog'], scope: 'http', at: { file: catalogFile, line: 1, column: 1 } });
  });

  it('protects a status page with auth_basic inherited from the server, and not when the location turns it off', () => {
    const text = ['http {', '  server {', '    listen 80;', '    auth_basic "ops";', '    location /a { stub_status; }', '    location /b { auth_basic off; stub_status; }', '  }', '}'].join('\n');
    expect(readNginxText(text, 'n.conf').admin.map((admin) => admin.hasAuthentication)).toEqual([true, false]);
  });

  it('reports syntax errors with their position and keeps reading the rest', () => {
    const text = ['http {', '  upstream a {', '    server 10.0.0.1 weight=2', '  }', '}', '}', 'upstream b { server "10.0.0.2; }'].join('\n');
    const config = readNginxText(text, 'broken.conf');
    expect(config.problems.map((problem) => [problem.message, problem.at.line, problem.at.column])).toEqual([
      ['unterminated double-quoted string', 7, 21],
      ['directive "server" is not terminated by ";"', 3, 5],
      ['unexpected "}" with no open block', 6, 1],
      ['directive "server" is not terminated by ";" (unexpected end of file)', 7, 14],
      ['block "upstream" is not closed by "}" (unexpected end of file)', 7, 1],
    ]);
    expect(config.pools.map((candidate) => [candidate.name, candidate.servers[0]?.weight])).toEqual([['a', 2], ['b', undefined]]);
  });

  it('reports an include it cannot read at the include, and reads the rest', () => {
    const config = readNginxConfig('/etc/nginx/nginx.conf', (path) => {
      if (path === '/etc/nginx/nginx.conf') return 'http {\n  include missing.conf;\n  upstream a { server 10.0.0.1; }\n}\n';
      throw new Error(`ENOENT: no such file, open '${path}'`);
    });
    expect(config.problems).toEqual([{ message: "cannot read included file /etc/nginx/missing.conf: ENOENT: no such file, open '/etc/nginx/missing.conf'", at: { file: '/etc/nginx/nginx.conf', line: 2, column: 11 } }]);
    expect(config.pools).toHaveLength(1);
  });

  it('reports an include loop instead of following it forever', () => {
    const config = readNginxConfig('/x/a.conf', (path) => (path === '/x/a.conf' ? 'include b.conf;' : 'include a.conf;'));
    expect(config.problems.map((problem) => problem.message)).toEqual(['include "a.conf" includes /x/a.conf again (an include loop)']);
  });

  it('reads NGINX times: bare numbers are seconds, units combine', () => {
    expect([parseNginxDurationMs('60'), parseNginxDurationMs('500ms'), parseNginxDurationMs('1m30s'), parseNginxDurationMs('2h'), parseNginxDurationMs('soon')]).toEqual([60_000, 500, 90_000, 7_200_000, undefined]);
  });

  it('reads the other balancing and persistence directives: hash on the client address, random, sticky learn and route', () => {
    const text = [
      'http {',
      '  upstream a { hash $binary_remote_addr; server 10.0.0.1; }',
      '  upstream b { random two least_conn; sticky learn create=$upstream_cookie_s lookup=$cookie_s zone=s:1m; server 10.0.0.2; }',
      '  upstream c { sticky learn create=$x lookup=$y zone=c:1m timeout=3h; sticky route $route_cookie; server 10.0.0.3; }',
      '}',
    ].join('\n');
    const [a, b, c] = readNginxText(text, 'n.conf').pools;
    expect(a!.hashing).toMatchObject({ key: 'source_ip', expression: '$binary_remote_addr', isConsistent: false });
    expect(b!.balance?.value).toBe('random');
    expect(b!.persistence.map((persistence) => [persistence.kind, persistence.ttlMs])).toEqual([['learn', 600_000]]);
    expect(c!.persistence.map((persistence) => [persistence.kind, persistence.ttlMs])).toEqual([['learn', 10_800_000], ['route', undefined]]);
  });

  it('attributes proxy_pass inside if blocks and stream servers, and ignores a proxy_pass through a variable', () => {
    const text = [
      'http {',
      '  upstream web { server 10.0.0.1; }',
      '  server { location / { proxy_connect_timeout 20s; if ($request_method = POST) { proxy_pass http://web; } } location /x { proxy_pass http://$target; } }',
      '}',
      'stream {',
      '  upstream db { server 10.0.1.1:5432; }',
      '  server { listen 5432; proxy_connect_timeout 1s; proxy_pass db; }',
      '}',
    ].join('\n');
    const config = readNginxText(text, 'n.conf');
    expect(config.problems).toEqual([]);
    expect(config.pools.map((pool) => [pool.name, pool.timeouts.connect?.value])).toEqual([['web', 20_000], ['db', 1000]]);
  });

  it('treats a server with no listen as listening on *:80, and keeps ${var} braces inside a word', () => {
    const config = readNginxText('http { server { location /s { stub_status; } location /t { return 200 "${host}x"; add_header X-A ${scheme}; } } }', 'n.conf');
    expect(config.problems).toEqual([]);
    expect(config.admin).toMatchObject([{ kind: 'nginx-status', address: '*:80', isLoopbackOnly: false, hasAuthentication: false }]);
    expect(config.settings.find((setting) => setting.key === 'add_header')?.args).toEqual(['X-A', '${scheme}']);
  });
});
