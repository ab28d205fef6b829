import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseHaproxyDurationMs } from '../../../src/audit/readers/durations.js';
import { readHaproxyConfig, readHaproxyText } from '../../../src/audit/readers/haproxy-reader.js';

const file = join('test', 'fixtures', 'audit', 'haproxy', 'reader-main.cfg');
const at = (line: number, column: number) => ({ file, line, column });

describe('HAProxy reader', () => {
  const config = readHaproxyConfig(file);
  const pool = (name: string) => config.pools.find((candidate) => candidate.name === name)!;

  it('reads backends and listens with servers as pools, without problems', () => {
    expect(config.problems).toEqual([]);
    expect(config.pools.map((candidate) => [candidate.name, candidate.at.line])).toEqual([['app', 23], ['api', 46], ['stats', 55]]);
  });

  it('reads balance source with hash-type consistent and hash-balance-factor as source-IP hashing bounded at factor / 100', () => {
    expect(pool('app').balance).toEqual({ value: 'source-ip', at: at(24, 5) });
    expect(pool('app').hashing).toEqual({ key: 'source_ip', expression: 'source', isConsistent: true, boundFactor: 1.5, at: at(24, 5) });
  });

  it('ignores hash-balance-factor without consistent hashing, as HAProxy does', () => {
    const config = readHaproxyText('backend b\n  balance uri\n  hash-balance-factor 125\n  server s 10.0.0.1:80\n', 'h.cfg');
    expect(config.pools[0]!.hashing).toMatchObject({ key: 'uri', isConsistent: false, boundFactor: undefined });
  });

  it('reads cookie persistence with maxidle as its TTL, and stick on src with the table expiry as source-IP persistence', () => {
    expect(pool('app').persistence).toEqual([{ kind: 'cookie', ttlMs: 7_200_000, boundFactor: undefined, at: at(27, 5) }]);
    expect(pool('api').persistence).toEqual([{ kind: 'source_ip', ttlMs: 1_800_000, boundFactor: undefined, at: at(49, 5) }]);
  });

  it('applies default-server from the defaults section and the server line, and reads passive detection from observe', () => {
    expect(pool('app').servers.map((server) => [server.name, server.weight, server.maxConnections, server.maxFails, server.slowStartMs, server.hasCheck, server.isBackup])).toEqual([
      ['app1', 100, 200, 5, 30_000, true, false],
      ['app2', 10, 200, undefined, undefined, true, false],
      ['app3', undefined, undefined, undefined, undefined, false, true],
    ]);
    expect(pool('app').healthCheck).toEqual({ isEnabled: true, intervalMs: 3000, timeoutMs: undefined, rise: 2, fall: 3, at: at(28, 5) });
  });

  it('inherits from a named defaults section with from, which itself starts from another', () => {
    // `defaults api from base` sets connect 2s over base's 1s, but `backend api from base` names base itself.
    expect(pool('api').timeouts).toEqual({ connect: { value: 1000, at: at(38, 5) }, server: { value: 20_000, at: at(39, 5) } });
    expect(pool('api').slowStartMs).toEqual({ value: 60_000, at: at(40, 5) });
    expect(pool('api').servers.map((server) => [server.isDisabled, server.slowStartMs])).toEqual([[false, 60_000], [true, 60_000]]);
    expect(pool('api').healthCheck).toMatchObject({ intervalMs: 500, fall: 1, rise: 2 });
    // `listen stats` has no `from`: it inherits the last defaults above it, `defaults api` (base + connect 2s).
    expect(pool('stats').timeouts.connect).toEqual({ value: 2000, at: at(44, 5) });
  });

  it('inherits timeouts from the unnamed defaults and lets the section override them', () => {
    expect(pool('app').timeouts).toEqual({ connect: { value: 5000, at: at(11, 5) }, client: { value: 30_000, at: at(12, 5) }, server: { value: 600_000, at: at(30, 5) } });
    expect(pool('app').queue).toEqual({ value: { size: undefined, timeoutMs: 5000 }, at: at(32, 5) });
  });

  it('reads retry-on after the request was sent as retrying non-idempotent requests, unless disable-l7-retry guards POST', () => {
    expect(pool('app').retries).toEqual({ count: 3, retriesNonIdempotent: true, at: at(31, 5) });
    expect(pool('api').retries).toEqual({ count: 3, retriesNonIdempotent: false, at: at(50, 5) });
    const connectOnly = readHaproxyText('backend b\n  retries 2\n  retry-on conn-failure\n  option redispatch\n  server s 10.0.0.1:80\n', 'h.cfg');
    expect(connectOnly.pools[0]!.retries).toMatchObject({ count: 2, retriesNonIdempotent: false });
  });

  it('reports runtime sockets and stats pages with their exposure, authentication and admin level', () => {
    expect(config.admin.map((admin) => [admin.kind, admin.address, admin.isLoopbackOnly, admin.hasAuthentication, admin.canChangeState, admin.at.line])).toEqual([
      ['haproxy-runtime-socket', '/run/haproxy/admin.sock', true, false, true, 5],
      ['haproxy-runtime-socket', 'ipv4@0.0.0.0:9999', false, false, true, 6],
      ['haproxy-stats', '10.0.0.5:8404', false, true, true, 57],
      ['haproxy-stats', '127.0.0.1:8500', true, false, false, 65],
    ]);
  });

  it('keeps every keyword line in settings with its section as scope', () => {
    expect(config.settings.find((setting) => setting.key === 'timeout connect')).toEqual({ key: 'timeout connect', args: ['5s'], scope: 'defaults', at: at(11, 5) });
    expect(config.settings.find((setting) => setting.key === 'option httpchk')).toMatchObject({ args: ['GET', '/healthz'], scope: 'backend app' });
    expect(config.settings.find((setting) => setting.key === 'stick-table')?.scope).toBe('backend api');
    expect(config.settings.find((setting) => setting.key === 'timeout connect' && setting.scope === 'defaults base')?.at.line).toBe(38);
  });

  it('reports syntax errors with their position and keeps reading', () => {
    const text = ['maxconn 10', 'global', '  log "stdout format raw', 'backnd app', '  server x 10.0.0.1:80', 'backend ok from nowhere', "  stats realm 'Ops\\ Area'", '  server y 10.0.0.2:80 weight 3'].join('\n');
    const config = readHaproxyText(text, 'bad.cfg');
    expect(config.problems.map((problem) => [problem.message, problem.at.line, problem.at.column])).toEqual([
      ['"maxconn" is outside any section (expected global, defaults, frontend, backend or listen first)', 1, 1],
      ['unterminated double-quoted string', 3, 7],
      ['unknown section "backnd"; its lines are ignored', 4, 1],
      ['"from nowhere" names no defaults section defined above', 6, 17],
    ]);
    expect(config.pools.map((candidate) => [candidate.name, candidate.servers.map((server) => server.weight)])).toEqual([['ok', [3]]]);
    expect(config.settings.find((setting) => setting.key === 'stats realm')?.args).toEqual(['Ops\\ Area']);
  });

  it('reads HAProxy times: bare numbers are milliseconds', () => {
    expect([parseHaproxyDurationMs('5000'), parseHaproxyDurationMs('5s'), parseHaproxyDurationMs('1m'), parseHaproxyDurationMs('2h'), parseHaproxyDurationMs('x')]).toEqual([5000, 5000, 60_000, 7_200_000, undefined]);
  });

  it('reads a turned-off check, no-check on one server, and a runtime socket without an admin level', () => {
    const text = [
      'global',
      '  stats socket ipv4@10.0.0.9:9999',
      'defaults',
      '  default-server check',
      'backend a',
      '  no option httpchk',
      '  server a1 10.0.0.1:80',
      'backend b',
      '  server b1 10.0.0.2:80',
      '  server b2 10.0.0.3:80 no-check',
    ].join('\n');
    const config = readHaproxyText(text, 'h.cfg');
    expect(config.problems).toEqual([]);
    expect(config.pools[0]!.healthCheck).toMatchObject({ isEnabled: false, at: { line: 6, column: 3 } });
    expect(config.pools[1]!.servers.map((server) => server.hasCheck)).toEqual([true, false]);
    expect(config.pools[1]!.healthCheck).toMatchObject({ isEnabled: true, intervalMs: 2000, rise: 2, fall: 3 });
    expect(config.admin).toMatchObject([{ kind: 'haproxy-runtime-socket', address: 'ipv4@10.0.0.9:9999', isLoopbackOnly: false, hasAuthentication: false, canChangeState: false }]);
  });

  it('reads unindented configs without mistaking keywords for sections', () => {
    const config = readHaproxyText('backend a\nbalance leastconn\nserver a1 10.0.0.1:80 weight 2\nserver a2 10.0.0.2:80\n', 'h.cfg');
    expect(config.problems).toEqual([]);
    expect(config.pools[0]).toMatchObject({ balance: { value: 'least-connections' }, servers: [{ weight: 2 }, { weight: undefined }] });
  });

  it('expands server-template into one server per number, with the template settings', () => {
    const config = readHaproxyText('backend a\n  server-template web 2-4 app.internal:80 check maxconn 50\n', 'h.cfg');
    expect(config.pools[0]!.servers.map((server) => [server.name, server.address, server.maxConnections, server.hasCheck, server.at.line])).toEqual([
      ['web2', 'app.internal:80', 50, true, 2],
      ['web3', 'app.internal:80', 50, true, 2],
      ['web4', 'app.internal:80', 50, true, 2],
    ]);
  });

  it('reports a stats page in a backend on the addresses of the frontends that route to it', () => {
    const text = ['frontend web', '  bind 127.0.0.1:80', '  bind 0.0.0.0:8080', '  use_backend be_stats if { path_beg /stats }', 'backend be_stats', '  stats enable', 'backend unused', '  stats enable'].join('\n');
    expect(readHaproxyText(text, 'h.cfg').admin).toEqual([
      { kind: 'haproxy-stats', address: '0.0.0.0:8080', isLoopbackOnly: false, hasAuthentication: false, canChangeState: false, at: { file: 'h.cfg', line: 6, column: 3 } },
    ]);
  });

  it('reads the expiry of a stick table declared in another section, which is not itself a pool', () => {
    const text = ['backend st_src', '  stick-table type ip size 100k expire 4h', 'backend web', '  stick on src table st_src', '  server w1 10.0.0.1:80'].join('\n');
    const config = readHaproxyText(text, 'h.cfg');
    expect(config.pools.map((pool) => pool.name)).toEqual(['web']);
    expect(config.pools[0]!.persistence).toEqual([{ kind: 'source_ip', ttlMs: 14_400_000, boundFactor: undefined, at: { file: 'h.cfg', line: 4, column: 3 } }]);
  });
});
