import { describe, expect, it } from 'vitest';
import { BackendState, HashPicker, PoolMembers, RequestKey } from '../../src/balance/index.js';
import { MAGLEV_TABLE_SIZE } from '../../src/balance/maglev.js';
import { makeNamedMembers, makeOutcome, makeRequest, seededRandom } from './fixtures.js';

const KEYS = 20_000;

function assignments(members: PoolMembers, table: 'maglev' | 'ring'): string[] {
  // Bound factor Infinity: this test is about the table alone, not about bounded loads.
  const picker = new HashPicker(members, { table, key: new RequestKey('header', 'x-user'), boundFactor: Infinity, random: seededRandom(1) });
  const headers: Record<string, string> = {};
  const request = makeRequest('10.0.0.1', '/', headers);
  const outcome = makeOutcome();
  const result: string[] = [];
  for (let i = 0; i < KEYS; i++) {
    headers['x-user'] = `user-${i}`;
    result.push(picker.pick(request, outcome, undefined)?.id ?? '-');
  }
  return result;
}

function isPrime(n: number): boolean {
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return n > 1;
}

describe('consistent hashing', () => {
  for (const table of ['maglev', 'ring'] as const) {
    for (const backendCount of [5, 10]) {
      it(`${table}: removing one of ${backendCount} backends remaps at most 1.2 × 1/${backendCount} of keys, none of them between survivors more than 2%`, () => {
        const before = assignments(makeNamedMembers(backendCount), table);
        const members = makeNamedMembers(backendCount);
        const removed = members.backends[2].id;
        members.backends = members.backends.filter((b) => b.id !== removed);
        members.backends.forEach((b, i) => (b.index = i));
        members.touch();
        const after = assignments(members, table);
        let moved = 0;
        let movedBetweenSurvivors = 0;
        for (let i = 0; i < KEYS; i++) {
          if (before[i] === after[i]) continue;
          moved++;
          if (before[i] !== removed) movedBetweenSurvivors++;
        }
        expect(moved / KEYS).toBeLessThanOrEqual((1.2 * 1) / backendCount);
        expect(movedBetweenSurvivors / KEYS).toBeLessThanOrEqual(0.02);
        expect(after).not.toContain(removed);
      });
    }

    it(`${table}: two independently built pickers with the same backends agree on every key`, () => {
      expect(assignments(makeNamedMembers(7), table)).toEqual(assignments(makeNamedMembers(7), table));
    });
  }

  it('uses a prime Maglev table size, so every backend permutation covers the whole table', () => {
    expect(isPrime(MAGLEV_TABLE_SIZE)).toBe(true);
  });

  it('rebuilds the table when members.version changes, so a drained backend gets no new keys', () => {
    const members = new PoolMembers('web', [new BackendState('web', 'x', 'http://127.0.0.1:1', 1), new BackendState('web', 'y', 'http://127.0.0.1:2', 1)]);
    const picker = new HashPicker(members, { table: 'maglev', key: new RequestKey('source_ip', ''), boundFactor: 1.25, random: seededRandom(2) });
    const ids = new Set<string>();
    for (let i = 0; i < 100; i++) ids.add(picker.pick(makeRequest(`10.1.0.${i}`), makeOutcome(), undefined)?.id ?? '-');
    expect([...ids].sort()).toEqual(['x', 'y']);
    members.backends[0].isDraining = true;
    members.touch();
    for (let i = 0; i < 100; i++) expect(picker.pick(makeRequest(`10.1.0.${i}`), makeOutcome(), undefined)?.id).toBe('y');
  });

  it('builds its table once per members.version, not per pick: a weight written without touch() is seen only after touch()', () => {
    const members = makeNamedMembers(3);
    const before = assignments(members, 'maglev');
    const picker = new HashPicker(members, { table: 'maglev', key: new RequestKey('header', 'x-user'), boundFactor: Infinity, random: seededRandom(3) });
    const headers: Record<string, string> = {};
    const request = makeRequest('10.0.0.1', '/', headers);
    const pickAll = () => Array.from({ length: 2000 }, (_, i) => {
      headers['x-user'] = `user-${i}`;
      return picker.pick(request, makeOutcome(), undefined)?.id;
    });
    const first = pickAll();
    expect(first).toEqual(before.slice(0, 2000));
    members.backends[0].weight = members.backends[0].effectiveWeight = 10;
    expect(pickAll()).toEqual(first);
    members.touch();
    expect(pickAll()).not.toEqual(first);
  });
});
