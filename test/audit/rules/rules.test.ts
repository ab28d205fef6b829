import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AUDIT_RULES, auditConfig, type AuditedConfig, type AuditedPool } from '../../../src/audit/index.js';
import { at, configOf, healthyPool, KINDS, server } from './model-builders.js';

function idsOf(config: AuditedConfig): string[] {
  return auditConfig(config).map((finding) => finding.ruleId);
}

function messagesOf(config: AuditedConfig, ruleId: string): string[] {
  return auditConfig(config).filter((finding) => finding.ruleId === ruleId).map((finding) => finding.message);
}

describe('a healthy pool', () => {
  it.each(KINDS)('draws no finding at all in a %s config', (kind) => {
    expect(auditConfig(configOf(kind))).toEqual([]);
  });
});

// Each case: the rule, a risky pool, and the kinds where the risk can be written.
const risky: Array<{ id: string; what: string; pool: Partial<AuditedPool>; expected: RegExp }> = [
  { id: 'EK101', what: 'consistent hashing without a bound', pool: { balance: { value: 'hash', at: at(3) }, hashing: { key: 'uri', expression: '$request_uri', isConsistent: true, boundFactor: undefined, at: at(3) } }, expected: /hashing on `\$request_uri` \(consistent\) has no load bound/ },
  { id: 'EK101', what: 'cookie persistence without a bound', pool: { persistence: [{ kind: 'cookie', ttlMs: 600_000, boundFactor: undefined, at: at(4) }] }, expected: /cookie persistence has no load bound/ },
  { id: 'EK102', what: 'source-IP balancing', pool: { balance: { value: 'source-ip', at: at(3) } }, expected: /pins every client behind one NAT address to one server/ },
  { id: 'EK103', what: 'an 8-hour persistence', pool: { persistence: [{ kind: 'cookie', ttlMs: 8 * 3_600_000, boundFactor: 1.25, at: at(4) }] }, expected: /lasts 8h, longer than 1h/ },
  { id: 'EK104', what: 'a bound of 10', pool: { persistence: [{ kind: 'cookie', ttlMs: 600_000, boundFactor: 10, at: at(4) }] }, expected: /load bound 10 lets one server take 10x/ },
  { id: 'EK201', what: 'weights 100 and 5', pool: { servers: [server('big', { weight: 100 }), server('small', { weight: 5 }), server('mid', { weight: 40 })] }, expected: /big weight 100 is 20x small weight 5/ },
  { id: 'EK202', what: 'one server at 400 of 600', pool: { servers: [server('web-1', { weight: 400 }), server('web-2', { weight: 100 }), server('web-3', { weight: 100 })] }, expected: /web-1 weight 400 holds 67% of the pool's weight 600/ },
  { id: 'EK203', what: 'a single server', pool: { servers: [server('only')] }, expected: /1 active server \(fewer than 2\)/ },
  { id: 'EK204', what: 'every server a backup', pool: { servers: [server('a', { isBackup: true }), server('b', { isBackup: true })] }, expected: /all 2 servers are `backup` \(a, b\)/ },
  { id: 'EK205', what: 'no slow start', pool: { slowStartMs: undefined }, expected: /no slow start/ },
  { id: 'EK206', what: 'no connection limit', pool: { servers: [server('a', { maxConnections: undefined }), server('b', { maxConnections: undefined })], queue: undefined }, expected: /no server has a connection limit and there is no queue/ },
  { id: 'EK301', what: 'no health check', pool: { healthCheck: undefined }, expected: /no active health check/ },
  { id: 'EK301', what: 'a health check turned off', pool: { healthCheck: { isEnabled: false, intervalMs: undefined, timeoutMs: undefined, rise: undefined, fall: undefined, at: at(4) } }, expected: /the active health check is turned off/ },
  { id: 'EK302', what: 'fall 1 and a 5-minute interval', pool: { healthCheck: { isEnabled: true, intervalMs: 300_000, timeoutMs: 1000, rise: 2, fall: 1, at: at(4) } }, expected: /interval 5m is above 1m.*fall 1 is below 2/ },
  { id: 'EK303', what: 'max_fails=0', pool: { servers: [server('a', { maxFails: 0 }), server('b')] }, expected: /passive failure detection is off for a/ },
  { id: 'EK401', what: 'no server timeout', pool: { timeouts: { connect: { value: 5000, at: at(7) } } }, expected: /no server timeout/ },
  { id: 'EK402', what: 'a 1-hour server timeout', pool: { timeouts: { connect: { value: 5000, at: at(7) }, server: { value: 3_600_000, at: at(8) } } }, expected: /server timeout 1h is longer than 5m/ },
  { id: 'EK403', what: 'retried POSTs', pool: { retries: { count: 2, retriesNonIdempotent: true, at: at(9) } }, expected: /non-idempotent requests \(POST, PATCH\) may be retried up to 2 times/ },
];

describe.each(risky)('$id on $what', ({ id, pool, expected }) => {
  it.each(KINDS)('fires in a %s config, naming the offending values', (kind) => {
    // EK401 does not judge NGINX, whose missing timeouts are its built-in 60 s defaults.
    if (id === 'EK401' && kind === 'nginx') return;
    const messages = messagesOf(configOf(kind, [healthyPool(pool)]), id);
    expect(messages.length, JSON.stringify(auditConfig(configOf(kind, [healthyPool(pool)])))).toBeGreaterThan(0);
    expect(messages.join('\n')).toMatch(expected);
  });

  it('stays quiet on the healthy twin', () => {
    for (const kind of KINDS) expect(idsOf(configOf(kind))).not.toContain(id);
  });
});

describe('a section without servers', () => {
  it('is not judged as a pool by EK203 or EK401 (an HAProxy `listen stats`)', () => {
    const stats = healthyPool({ name: 'stats', servers: [], healthCheck: undefined, timeouts: {} });
    expect(idsOf(configOf('haproxy', [stats]))).toEqual([]);
  });
});

describe('pool names in messages', () => {
  it('names the pool the way its product does: upstream, backend, pools.', () => {
    const pool = { balance: { value: 'source-ip' as const, at: at(3) } };
    expect(messagesOf(configOf('nginx', [healthyPool(pool)]), 'EK102')[0]).toMatch(/^upstream app: `ip_hash` pins/);
    expect(messagesOf(configOf('haproxy', [healthyPool(pool)]), 'EK102')[0]).toMatch(/^backend app: `balance source` pins/);
    expect(messagesOf(configOf('evenkeel', [healthyPool(pool)]), 'EK102')[0]).toMatch(/^pools\.app: /);
  });
});

describe('admin interfaces', () => {
  const admin = (overrides: object) => ({ kind: 'haproxy-stats' as const, address: '0.0.0.0:8404', isLoopbackOnly: false, hasAuthentication: false, canChangeState: false, at: at(30), ...overrides });

  it('EK501 fires on a stats page open beyond loopback without authentication, and not on loopback or with auth', () => {
    expect(messagesOf(configOf('haproxy', [healthyPool()], [admin({})]), 'EK501')).toEqual(['haproxy-stats on 0.0.0.0:8404 is reachable beyond loopback without authentication']);
    expect(idsOf(configOf('haproxy', [healthyPool()], [admin({ isLoopbackOnly: true, address: '127.0.0.1:8404' })]))).toEqual([]);
    expect(idsOf(configOf('haproxy', [healthyPool()], [admin({ hasAuthentication: true })]))).toEqual([]);
  });

  it('EK502 fires on an authenticated interface beyond loopback that can change state', () => {
    const exposed = admin({ kind: 'evenkeel-admin', address: '0.0.0.0:9090', hasAuthentication: true, canChangeState: true });
    expect(idsOf(configOf('evenkeel', [healthyPool()], [exposed]))).toEqual(['EK502']);
    expect(idsOf(configOf('evenkeel', [healthyPool()], [{ ...exposed, isLoopbackOnly: true, address: '127.0.0.1:9090' }]))).toEqual([]);
  });
});

describe('the rule list', () => {
  it('has unique stable ids, each documented at docs/audit-rules.md#<id>', () => {
    const ids = AUDIT_RULES.map((rule) => rule.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const rule of AUDIT_RULES) expect(rule.helpUri).toBe(`docs/audit-rules.md#${rule.id.toLowerCase()}`);
    const docs = readFileSync(resolve(import.meta.dirname, '../../../docs/audit-rules.md'), 'utf8');
    for (const rule of AUDIT_RULES) {
      expect(docs, rule.id).toContain(`<a id="${rule.id.toLowerCase()}"></a>\n### ${rule.id} ${rule.name}`);
      expect(docs, rule.id).toContain(`| [${rule.id}](#${rule.id.toLowerCase()}) | ${rule.name} | ${rule.defaultSeverity} |`);
      for (const [name, value] of Object.entries(rule.thresholds)) expect(docs, `${rule.id} ${name}`).toContain(`\`${name}\` (${value})`);
    }
  });

  it('sorts findings by file, line and column', () => {
    const config = configOf('haproxy', [healthyPool({ name: 'b', at: at(40), healthCheck: undefined }), healthyPool({ name: 'a', at: at(20), servers: [server('only', { at: at(21) })] })]);
    const lines = auditConfig(config).map((finding) => finding.at.line);
    expect(lines).toEqual([...lines].sort((x, y) => x - y));
  });
});
