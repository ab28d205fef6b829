import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { acquire, createPicker, type BackendState, type PickOutcome } from '../../src/balance/index.js';
import { makeMembers, makeOutcome, makePoolConfig, makeRequest } from './fixtures.js';

const SECRET = 'cookie-test-secret-0123456789';
const START_MS = 1_700_000_000_000;
const TTL_MS = 30 * 60_000;

function setup(weights = [1, 1, 1]) {
  const members = makeMembers(weights);
  const clock = { nowMs: START_MS };
  const picker = createPicker(makePoolConfig({ algorithm: 'round-robin', persistence: { by: 'cookie', ttl: TTL_MS } }), members, { cookieSecret: SECRET, now: () => clock.nowMs });
  const pick = (cookie?: string, exclude?: BackendState): [BackendState | undefined, PickOutcome] => {
    const outcome = makeOutcome();
    const backend = picker.pick(makeRequest('10.0.0.1', '/', cookie === undefined ? {} : { cookie }), outcome, exclude);
    return [backend, outcome];
  };
  return { members, clock, pick };
}

/** The name=value part of a Set-Cookie header, as a browser would send it back. */
function cookieOf(outcome: PickOutcome): string {
  expect(outcome.setCookie).toBeDefined();
  return (outcome.setCookie as string).split(';')[0];
}

describe('cookie persistence', () => {
  it('sets a signed ek_session cookie with Path=/, HttpOnly, SameSite=Lax and Max-Age of the TTL on a fresh pick', () => {
    const { pick } = setup();
    const [backend, outcome] = pick();
    expect(outcome.isPinned).toBe(false);
    expect(outcome.setCookie).toMatch(new RegExp(`^ek_session=${backend?.id}\\.${START_MS / 1000 + 1800}\\.[A-Za-z0-9_-]{22}; Path=/; HttpOnly; SameSite=Lax; Max-Age=1800$`));
  });

  it('sends a client with a valid cookie back to its backend without re-issuing the cookie', () => {
    const { pick } = setup();
    const [first, fresh] = pick();
    const cookie = `other=1; ${cookieOf(fresh)}; more=2`;
    for (let i = 0; i < 20; i++) {
      const [backend, outcome] = pick(cookie);
      expect(backend).toBe(first);
      expect(outcome.isPinned).toBe(true);
      expect(outcome.isSpilled).toBe(false);
      expect(outcome.setCookie).toBeUndefined();
    }
  });

  it('re-issues the cookie once it is past half its TTL, so active sessions slide', () => {
    const { pick, clock } = setup();
    const [first, fresh] = pick();
    clock.nowMs += TTL_MS / 2 + 1000;
    const [backend, outcome] = pick(cookieOf(fresh));
    expect(backend).toBe(first);
    expect(outcome.isPinned).toBe(true);
    expect(outcome.setCookie).toContain(`ek_session=${first?.id}.${Math.floor(clock.nowMs / 1000) + 1800}.`);
  });

  it('ignores an expired cookie, even one honoured (and remembered as genuine) before: fresh pick, not pinned, new cookie', () => {
    const { pick, clock } = setup();
    const [, fresh] = pick();
    expect(pick(cookieOf(fresh))[1].isPinned).toBe(true);
    clock.nowMs += TTL_MS + 1000;
    const [, outcome] = pick(cookieOf(fresh));
    expect(outcome.isPinned).toBe(false);
    expect(outcome.setCookie).toContain(`.${Math.floor(clock.nowMs / 1000) + 1800}.`);
  });

  it('ignores forged cookies: another backend, a pushed-back expiry, a wrong secret or garbage', () => {
    const { pick } = setup();
    const [, fresh] = pick();
    // The genuine cookie is honoured first, so forgeries are also checked against a warm cache.
    expect(pick(cookieOf(fresh))[1].isPinned).toBe(true);
    const [id, expiry, mac] = cookieOf(fresh).slice('ek_session='.length).split('.');
    const otherId = id === 'a' ? 'b' : 'a';
    const wrongSecretMac = createHmac('sha256', 'not-the-secret-at-all').update('web').update('\0').update(`${otherId}.${expiry}`).digest().subarray(0, 16).toString('base64url');
    const forgeries = [
      `${otherId}.${expiry}.${mac}`,
      `${id}.${Number(expiry) + 86_400}.${mac}`,
      `${otherId}.${expiry}.${wrongSecretMac}`,
      `${id}.${expiry}.${mac.slice(0, 21)}${mac.endsWith('A') ? 'Q' : 'A'}`,
      `${id}.${expiry}`,
      'garbage',
      '',
    ];
    for (const forged of forgeries) {
      const [, outcome] = pick(`ek_session=${forged}`);
      expect(outcome.isPinned, forged).toBe(false);
      expect(outcome.setCookie, forged).toBeDefined();
    }
  });

  it('ignores a genuine cookie naming a backend that is no longer in the pool', () => {
    const { pick, members } = setup();
    const [first, fresh] = pick();
    members.backends = members.backends.filter((b) => b !== first);
    members.backends.forEach((b, i) => (b.index = i));
    members.touch();
    const [backend, outcome] = pick(cookieOf(fresh));
    expect(backend).not.toBe(first);
    expect(outcome.isPinned).toBe(false);
    expect(outcome.setCookie).toContain(`ek_session=${backend?.id}.`);
  });

  it('spills a pinned client to another backend with a new cookie when its backend is unhealthy, draining or excluded by a retry', () => {
    for (const change of ['unhealthy', 'draining', 'excluded'] as const) {
      const { pick, members } = setup();
      const [first, fresh] = pick();
      const target = first as BackendState;
      if (change === 'unhealthy') {
        target.isHealthy = false;
        target.effectiveWeight = 0;
      }
      if (change === 'draining') target.isDraining = true;
      members.touch();
      const [backend, outcome] = pick(cookieOf(fresh), change === 'excluded' ? target : undefined);
      expect(backend, change).toBeDefined();
      expect(backend, change).not.toBe(first);
      expect(outcome.isSpilled, change).toBe(true);
      expect(outcome.isPinned, change).toBe(false);
      expect(outcome.setCookie, change).toContain(`ek_session=${backend?.id}.`);
    }
  });

  it('spills a pinned client when its backend is over the load bound', () => {
    const { pick, members } = setup([1, 1, 1, 1]);
    const [first, fresh] = pick();
    // Four requests in flight on the pinned backend and none elsewhere: ceil(1.25 × 5 / 4) = 2 < 5.
    for (let i = 0; i < 4; i++) acquire(members, first as BackendState);
    const [backend, outcome] = pick(cookieOf(fresh));
    expect(backend).not.toBe(first);
    expect(outcome.isSpilled).toBe(true);
  });

  it('treats a request without the cookie as a fresh client of the pool algorithm', () => {
    const { pick } = setup([2, 1]);
    const ids = [pick()[0]?.id, pick()[0]?.id, pick()[0]?.id];
    expect(ids).toEqual(['a', 'b', 'a']);
  });

  it('uses the configured cookie name', () => {
    const members = makeMembers([1]);
    const picker = createPicker(makePoolConfig({ persistence: { by: 'cookie', name: 'portal_sticky' } }), members, { cookieSecret: SECRET });
    const outcome = makeOutcome();
    picker.pick(makeRequest(), outcome, undefined);
    expect(outcome.setCookie).toMatch(/^portal_sticky=a\./);
  });
});
