import { describe, expect, it } from 'vitest';
import { SmoothRoundRobinPicker } from '../../src/balance/index.js';
import { makeMembers, makeOutcome, makeRequest } from './fixtures.js';

describe('smooth weighted round robin', () => {
  it('gives weights 5, 1, 1 the NGINX sequence a a b a c a a, cycle after cycle', () => {
    const members = makeMembers([5, 1, 1]);
    const picker = new SmoothRoundRobinPicker(members);
    const sequence: string[] = [];
    for (let i = 0; i < 21; i++) sequence.push(picker.pick(makeRequest(), makeOutcome(), undefined)?.id ?? '-');
    expect(sequence.join(' ')).toBe(Array(3).fill('a a b a c a a').join(' '));
  });

  it('never picks a backend of weight 0, a draining one or an unhealthy one', () => {
    const members = makeMembers([3, 0, 2, 4]);
    members.backends[2].isDraining = true;
    members.backends[3].isHealthy = false;
    members.touch();
    const picker = new SmoothRoundRobinPicker(members);
    for (let i = 0; i < 50; i++) expect(picker.pick(makeRequest(), makeOutcome(), undefined)?.id).toBe('a');
  });

  it('uses every non-draining backend at its configured weight while the pool panics', () => {
    const members = makeMembers([1, 1, 1]);
    members.backends[0].isHealthy = false;
    members.backends[0].effectiveWeight = 0;
    members.backends[1].isDraining = true;
    members.isPanicking = true;
    members.touch();
    const picker = new SmoothRoundRobinPicker(members);
    const ids = new Set<string>();
    for (let i = 0; i < 10; i++) ids.add(picker.pick(makeRequest(), makeOutcome(), undefined)?.id ?? '-');
    expect([...ids].sort()).toEqual(['a', 'c']);
  });
});
