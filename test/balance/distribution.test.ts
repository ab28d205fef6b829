import { describe, expect, it } from 'vitest';
import { acquire, createPicker, release, type BackendState, type Picker, type PoolMembers } from '../../src/balance/index.js';
import { countIdlePicks, makeMembers, makeOutcome, makePoolConfig, makeRequest, seededRandom, type PoolConfigInput } from './fixtures.js';

// Shares over 100,000 picks against weight shares. Weights include a 0, which must never be picked.
const WEIGHTS = [50, 30, 15, 5, 0];
const PICKS = 100_000;

function expectSharesWithin(counts: Map<string, number>, weights: readonly number[], tolerance: number): void {
  const total = [...counts.values()].reduce((sum, n) => sum + n, 0);
  expect(total).toBe(PICKS);
  const weightSum = weights.reduce((sum, w) => sum + w, 0);
  weights.forEach((weight, i) => {
    const id = String.fromCharCode(97 + i);
    const share = (counts.get(id) ?? 0) / total;
    expect(Math.abs(share - weight / weightSum), `backend ${id}: share ${share.toFixed(4)} vs weight share ${(weight / weightSum).toFixed(4)}`).toBeLessThanOrEqual(tolerance);
    if (weight === 0) expect(counts.get(id) ?? 0).toBe(0);
  });
}

/** Picks without holding requests: every backend stays idle. */
function idleCounts(picker: Picker): Map<string, number> {
  const request = makeRequest();
  const outcome = makeOutcome();
  return countIdlePicks(() => picker.pick(request, outcome, undefined), PICKS);
}

/**
 * Picks under load: 200 requests stay in flight, and each pick is followed by finishing one in-flight
 * request chosen uniformly at random (so a backend's throughput follows its in-flight count).
 */
function loadedCounts(picker: Picker, members: PoolMembers, random: () => number): Map<string, number> {
  const request = makeRequest();
  const outcome = makeOutcome();
  const inflight: BackendState[] = [];
  return countIdlePicks(() => {
    const backend = picker.pick(request, outcome, undefined);
    if (backend !== undefined) {
      acquire(members, backend);
      inflight.push(backend);
    }
    if (inflight.length > 200) {
      const index = Math.floor(random() * inflight.length);
      release(members, inflight[index]);
      inflight[index] = inflight[inflight.length - 1];
      inflight.pop();
    }
    return backend;
  }, PICKS);
}

function pickerFor(config: PoolConfigInput, members: PoolMembers, seed: number): Picker {
  return createPicker(config, members, { cookieSecret: 'test-secret-0123456789', random: seededRandom(seed) });
}

describe('distribution by weight', () => {
  it('round-robin gives every backend its weight share within ±0.1% absolute over 100k idle picks', () => {
    const members = makeMembers(WEIGHTS);
    expectSharesWithin(idleCounts(pickerFor(makePoolConfig({ algorithm: 'round-robin' }), members, 1)), WEIGHTS, 0.001);
  });

  it('least-inflight gives every backend its weight share within ±0.1% absolute over 100k idle picks (ties go round robin)', () => {
    const members = makeMembers(WEIGHTS);
    expectSharesWithin(idleCounts(pickerFor(makePoolConfig({ algorithm: 'least-inflight' }), members, 2)), WEIGHTS, 0.001);
  });

  it('least-inflight gives every backend its weight share within ±1% absolute over 100k picks with 200 in flight', () => {
    const members = makeMembers(WEIGHTS);
    expectSharesWithin(loadedCounts(pickerFor(makePoolConfig({ algorithm: 'least-inflight' }), members, 3), members, seededRandom(33)), WEIGHTS, 0.01);
  });

  it('p2c gives every backend its weight share within ±1% absolute over 100k picks with 200 in flight', () => {
    const members = makeMembers(WEIGHTS);
    expectSharesWithin(loadedCounts(pickerFor(makePoolConfig({ algorithm: 'p2c' }), members, 4), members, seededRandom(44)), WEIGHTS, 0.01);
  });

  it('random gives every backend its weight share within ±1% absolute over 100k idle picks', () => {
    const members = makeMembers(WEIGHTS);
    expectSharesWithin(idleCounts(pickerFor(makePoolConfig({ algorithm: 'random' }), members, 5)), WEIGHTS, 0.01);
  });

  for (const table of ['maglev', 'ring'] as const) {
    const tolerance = 0.01;
    it(`hash (${table}) gives every backend its weight share within ±${tolerance * 100}% absolute over 100k distinct keys`, () => {
      const members = makeMembers(WEIGHTS);
      const picker = pickerFor(makePoolConfig({ algorithm: 'hash', hash: { by: 'header', name: 'x-user', table } }), members, 6);
      const headers: Record<string, string> = {};
      const request = makeRequest('10.0.0.1', '/', headers);
      const outcome = makeOutcome();
      expectSharesWithin(countIdlePicks((i) => {
        headers['x-user'] = `user-${i}`;
        return picker.pick(request, outcome, undefined);
      }, PICKS), WEIGHTS, tolerance);
    });
  }
});

describe('exclusion, capacity and weight 0', () => {
  const configs: Array<[string, PoolConfigInput]> = [
    ['round-robin', makePoolConfig({ algorithm: 'round-robin' })],
    ['least-inflight', makePoolConfig({ algorithm: 'least-inflight' })],
    ['p2c', makePoolConfig({ algorithm: 'p2c' })],
    ['random', makePoolConfig({ algorithm: 'random' })],
    ['hash maglev', makePoolConfig({ algorithm: 'hash', hash: { by: 'path', table: 'maglev' } })],
    ['hash ring', makePoolConfig({ algorithm: 'hash', hash: { by: 'path', table: 'ring' } })],
    ['cookie persistence', makePoolConfig({ persistence: { by: 'cookie' } })],
    ['header persistence', makePoolConfig({ persistence: { by: 'header', name: 'x-session' } })],
    ['source-ip persistence', makePoolConfig({ persistence: { by: 'source_ip' } })],
  ];

  for (const [name, config] of configs) {
    it(`${name} never returns the excluded backend of a retry when another is available`, () => {
      const members = makeMembers([5, 1, 1, 0]);
      const picker = pickerFor(config, members, 7);
      const outcome = makeOutcome();
      for (let i = 0; i < 500; i++) {
        const exclude = members.backends[i % 3];
        const request = makeRequest(`10.0.${i % 7}.${i % 251}`, `/item/${i}`, { 'x-session': `s-${i % 13}` });
        const backend = picker.pick(request, outcome, exclude);
        expect(backend).toBeDefined();
        expect(backend).not.toBe(exclude);
        expect(backend?.id).not.toBe('d');
      }
    });

    it(`${name} skips full backends and returns undefined when every backend is at max_inflight`, () => {
      const members = makeMembers([1, 1, 1]);
      for (const backend of members.backends) backend.maxInflight = 1;
      const picker = pickerFor(config, members, 8);
      const outcome = makeOutcome();
      const taken: string[] = [];
      for (let i = 0; i < 3; i++) {
        const backend = picker.pick(makeRequest('10.0.0.9', '/same', { 'x-session': 'one' }), outcome, undefined);
        expect(backend).toBeDefined();
        acquire(members, backend as BackendState);
        taken.push((backend as BackendState).id);
      }
      expect(taken.sort()).toEqual(['a', 'b', 'c']);
      expect(picker.pick(makeRequest('10.0.0.9', '/same', { 'x-session': 'one' }), outcome, undefined)).toBeUndefined();
    });

    it(`${name} returns undefined when no backend has a selectable weight`, () => {
      const members = makeMembers([0, 0]);
      const picker = pickerFor(config, members, 9);
      expect(picker.pick(makeRequest(), makeOutcome(), undefined)).toBeUndefined();
    });
  }
});
