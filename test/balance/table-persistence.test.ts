import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { acquire, createPicker, release, type BackendState, type PickOutcome } from '../../src/balance/index.js';
import { StickTable } from '../../src/balance/stick-table.js';
import { makeMembers, makeNamedMembers, makeOutcome, makePoolConfig, makeRequest, seededRandom, type PoolConfigInput } from './fixtures.js';

const START_MS = 1_700_000_000_000;
const TTL_MS = 60_000;

function setup(config: PoolConfigInput, weights = [1, 1, 1, 1]) {
  const members = makeMembers(weights);
  const clock = { nowMs: START_MS };
  const picker = createPicker(config, members, { cookieSecret: 'x', now: () => clock.nowMs, random: seededRandom(3) });
  const pick = (sourceIp: string, session?: string, exclude?: BackendState): [BackendState | undefined, PickOutcome] => {
    const outcome = makeOutcome();
    const backend = picker.pick(makeRequest(sourceIp, '/', session === undefined ? {} : { 'x-session': session }), outcome, exclude);
    return [backend, outcome];
  };
  return { members, clock, pick };
}

const headerConfig = makePoolConfig({ algorithm: 'round-robin', persistence: { by: 'header', name: 'X-Session', ttl: TTL_MS } });
const sourceIpConfig = makePoolConfig({ algorithm: 'round-robin', persistence: { by: 'source_ip', ttl: TTL_MS } });

describe('header and source-IP persistence', () => {
  it('pins a session header to one backend from the second request on', () => {
    const { pick } = setup(headerConfig);
    const [first, fresh] = pick('10.0.0.1', 'session-1');
    expect(fresh.isPinned).toBe(false);
    for (let i = 0; i < 10; i++) {
      const [backend, outcome] = pick(`10.0.0.${i}`, 'session-1');
      expect(backend).toBe(first);
      expect(outcome.isPinned).toBe(true);
      expect(outcome.setCookie).toBeUndefined();
    }
  });

  it('places a new key by consistent hashing, so two independent nodes agree on it', () => {
    const nodeA = setup(sourceIpConfig);
    const nodeB = setup(sourceIpConfig);
    for (let i = 0; i < 200; i++) {
      expect(nodeA.pick(`192.168.${i % 7}.${i}`)[0]?.id).toBe(nodeB.pick(`192.168.${i % 7}.${i}`)[0]?.id);
    }
  });

  it('treats a request without the header as a fresh client of the pool algorithm', () => {
    const { pick } = setup(headerConfig, [2, 1]);
    expect([pick('1.1.1.1')[0]?.id, pick('1.1.1.1')[0]?.id, pick('1.1.1.1')[0]?.id]).toEqual(['a', 'b', 'a']);
    expect(pick('1.1.1.1')[1].isPinned).toBe(false);
  });

  it('forgets a key after its TTL without use, and keeps it while it is used', () => {
    const { pick, clock } = setup(sourceIpConfig);
    pick('10.9.9.9');
    for (let i = 0; i < 5; i++) {
      clock.nowMs += TTL_MS * 0.6;
      expect(pick('10.9.9.9')[1].isPinned).toBe(true);
    }
    clock.nowMs += TTL_MS + 1;
    const [, outcome] = pick('10.9.9.9');
    expect(outcome.isPinned).toBe(false);
    expect(outcome.isSpilled).toBe(false);
  });

  it('spills a pinned key to another backend and updates the table when its backend is over the bound', () => {
    const { pick, members } = setup(headerConfig);
    const [first] = pick('1.1.1.1', 'hot');
    for (let i = 0; i < 4; i++) acquire(members, first as BackendState);
    const [second, outcome] = pick('1.1.1.1', 'hot');
    expect(second).not.toBe(first);
    expect(outcome.isSpilled).toBe(true);
    // The table now says `second`, so once the load is gone the key stays there.
    for (let i = 0; i < 4; i++) release(members, first as BackendState);
    const [third, again] = pick('1.1.1.1', 'hot');
    expect(third).toBe(second);
    expect(again.isPinned).toBe(true);
  });

  it('spills a pinned key when its backend drains or fails, and when a retry excludes it', () => {
    for (const change of ['unhealthy', 'draining', 'excluded'] as const) {
      const { pick, members } = setup(sourceIpConfig);
      const [first] = pick('172.16.0.5');
      const target = first as BackendState;
      if (change === 'unhealthy') target.isHealthy = false;
      if (change === 'draining') target.isDraining = true;
      members.touch();
      const [backend, outcome] = pick('172.16.0.5', undefined, change === 'excluded' ? target : undefined);
      expect(backend, change).toBeDefined();
      expect(backend, change).not.toBe(first);
      expect(outcome.isSpilled, change).toBe(true);
    }
  });

  it('ignores a stick entry whose backend was removed from the pool by a reload', () => {
    const { pick, members } = setup(sourceIpConfig);
    const [first] = pick('10.0.0.77');
    members.backends = members.backends.filter((b) => b !== first);
    members.backends.forEach((b, i) => (b.index = i));
    members.touch();
    const [backend] = pick('10.0.0.77');
    expect(backend).toBeDefined();
    expect(backend).not.toBe(first);
  });

  for (const [name, config] of [
    ['cookie', makePoolConfig({ algorithm: 'random', persistence: { by: 'cookie' } })],
    ['header', makePoolConfig({ algorithm: 'least-inflight', persistence: { by: 'header', name: 'x-session' } })],
    ['source_ip', makePoolConfig({ algorithm: 'p2c', persistence: { by: 'source_ip' }, hash: { table: 'ring' } })],
  ] as const) {
    it(`persistence by ${name} never picks an unhealthy or draining backend, whatever the sequence of health changes, drains and picks`, () => {
      type Step = { kind: 'pick'; client: number } | { kind: 'health'; backend: number; isHealthy: boolean } | { kind: 'drain'; backend: number; isDraining: boolean } | { kind: 'release' };
      const step: fc.Arbitrary<Step> = fc.oneof(
        { weight: 6, arbitrary: fc.record({ kind: fc.constant('pick' as const), client: fc.integer({ min: 0, max: 20 }) }) },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant('health' as const), backend: fc.integer({ min: 0, max: 4 }), isHealthy: fc.boolean() }) },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant('drain' as const), backend: fc.integer({ min: 0, max: 4 }), isDraining: fc.boolean() }) },
        { weight: 2, arbitrary: fc.constant({ kind: 'release' as const }) },
      );
      fc.assert(
        fc.property(fc.array(step, { maxLength: 200 }), (steps) => {
          const members = makeNamedMembers(5);
          const picker = createPicker(config, members, { cookieSecret: 'property-secret-0123', random: seededRandom(9), now: () => START_MS });
          const cookies = new Map<number, string>();
          const inflight: BackendState[] = [];
          for (const s of steps) {
            if (s.kind === 'health') {
              members.backends[s.backend].isHealthy = s.isHealthy;
              members.backends[s.backend].effectiveWeight = s.isHealthy ? members.backends[s.backend].weight : 0;
              members.touch();
            } else if (s.kind === 'drain') {
              members.backends[s.backend].isDraining = s.isDraining;
              members.touch();
            } else if (s.kind === 'release') {
              const backend = inflight.pop();
              if (backend !== undefined) release(members, backend);
            } else {
              const headers: Record<string, string> = { 'x-session': `s${s.client}` };
              const cookie = cookies.get(s.client);
              if (cookie !== undefined) headers.cookie = cookie;
              const outcome = makeOutcome();
              const backend = picker.pick(makeRequest(`10.0.0.${s.client}`, '/', headers), outcome, undefined);
              const anyAvailable = members.backends.some((b) => b.isHealthy && !b.isDraining);
              expect(backend !== undefined).toBe(anyAvailable);
              if (backend === undefined) continue;
              expect(backend.isHealthy).toBe(true);
              expect(backend.isDraining).toBe(false);
              if (outcome.setCookie !== undefined) cookies.set(s.client, outcome.setCookie.split(';')[0]);
              acquire(members, backend);
              inflight.push(backend);
            }
          }
        }),
        { numRuns: 100, seed: 4242 },
      );
    });
  }
});

describe('stick table', () => {
  it('evicts the entry closest to expiry first when full', () => {
    const [x, y] = makeMembers([1, 1]).backends;
    const table = new StickTable(3, 1000);
    table.assign('k1', x, 0);
    table.assign('k2', y, 10);
    table.assign('k3', x, 20);
    table.assign('k4', y, 30);
    expect(table.size).toBe(3);
    expect(table.lookup('k1', 40)).toBeUndefined();
    expect(table.lookup('k2', 40)?.backend).toBe(y);
    expect(table.lookup('k4', 40)?.backend).toBe(y);
  });

  it('drops expired entries on lookup and renews an entry past half its TTL', () => {
    const [x] = makeMembers([1]).backends;
    const table = new StickTable(10, 1000);
    table.assign('k', x, 0);
    const entry = table.lookup('k', 400);
    table.renew('k', entry!, 400);
    expect(entry?.expiresAtMs).toBe(1000);
    table.renew('k', entry!, 600);
    expect(entry?.expiresAtMs).toBe(1600);
    expect(table.lookup('k', 1600)).toBeUndefined();
    expect(table.size).toBe(0);
  });
});

describe('stick tables across reloads', () => {
  it('keeps sessions when a reload builds a new picker for the same pool members', () => {
    const members = makeNamedMembers(4);
    const config = makePoolConfig({ persistence: { by: 'header', name: 'x-session' } });
    const before = createPicker(config, members, { cookieSecret: 'x' });
    // Pin a session away from its hash owner by loading the owner past the bound, then release.
    const request = makeRequest('10.0.0.1', '/', { 'x-session': 'moved' });
    const owner = before.pick(request, makeOutcome(), undefined) as BackendState;
    for (let i = 0; i < 4; i++) acquire(members, owner);
    const spilledTo = before.pick(request, makeOutcome(), undefined) as BackendState;
    expect(spilledTo).not.toBe(owner);
    for (let i = 0; i < 4; i++) release(members, owner);
    members.touch();
    const after = createPicker(config, members, { cookieSecret: 'x' });
    const outcome = makeOutcome();
    expect(after.pick(request, outcome, undefined)).toBe(spilledTo);
    expect(outcome.isPinned).toBe(true);
  });

  it('starts a new table when the reload changes the persistence key', () => {
    const members = makeNamedMembers(4);
    const byHeader = createPicker(makePoolConfig({ persistence: { by: 'header', name: 'x-session' } }), members, { cookieSecret: 'x' });
    byHeader.pick(makeRequest('10.0.0.1', '/', { 'x-session': 'abc' }), makeOutcome(), undefined);
    const byOtherHeader = createPicker(makePoolConfig({ persistence: { by: 'header', name: 'x-tenant' } }), members, { cookieSecret: 'x' });
    const outcome = makeOutcome();
    byOtherHeader.pick(makeRequest('10.0.0.1', '/', { 'x-tenant': 'abc' }), outcome, undefined);
    expect(outcome.isPinned).toBe(false);
  });
});
