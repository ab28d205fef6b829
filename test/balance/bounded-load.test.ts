import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { acquire, createPicker, release, selectableWeight, type BackendState, type PoolMembers } from '../../src/balance/index.js';
import { makeMembers, makeOutcome, makePoolConfig, makeRequest, seededRandom, type PoolConfigInput } from './fixtures.js';

// Bounded loads (Mirrokni, Thorup, Zadimoghaddam): after a pick, the chosen backend holds at most
// ceil(c × (m + 1) × w / W) requests, m being the pool's in-flight total before the pick. Computed
// here independently of the implementation, with a tolerance only in the permissive direction.
function mathematicalBound(members: PoolMembers, backend: BackendState, boundFactor: number): number {
  let totalWeight = 0;
  for (const b of members.backends) totalWeight += selectableWeight(members, b);
  return Math.ceil((boundFactor * (members.totalInflight + 1) * selectableWeight(members, backend)) / totalWeight + 1e-9);
}

type Operation = { kind: 'pick'; client: number } | { kind: 'release'; which: number };

const operationArbitrary: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('pick' as const), client: fc.integer({ min: 0, max: 40 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('release' as const), which: fc.nat() }) },
);

function configFor(mode: string, boundFactor: number): PoolConfigInput {
  switch (mode) {
    case 'hash maglev':
      return makePoolConfig({ algorithm: 'hash', hash: { by: 'header', name: 'x-client', table: 'maglev', bound: boundFactor } });
    case 'hash ring':
      return makePoolConfig({ algorithm: 'hash', hash: { by: 'header', name: 'x-client', table: 'ring', bound: boundFactor } });
    case 'cookie persistence over random':
      return makePoolConfig({ algorithm: 'random', persistence: { by: 'cookie', bound: boundFactor } });
    case 'header persistence over round-robin':
      return makePoolConfig({ algorithm: 'round-robin', persistence: { by: 'header', name: 'x-client', bound: boundFactor } });
    default:
      return makePoolConfig({ algorithm: 'p2c', persistence: { by: 'source_ip', bound: boundFactor }, hash: { table: 'ring' } });
  }
}

const MODES = ['hash maglev', 'hash ring', 'cookie persistence over random', 'header persistence over round-robin', 'source-ip persistence over p2c (ring)'];

describe('bounded loads', () => {
  for (const mode of MODES) {
    it(`${mode}: every pick finds a backend and keeps it within ceil(c × (m + 1) × w / W), for any weights, c and pick/release sequence`, () => {
      fc.assert(
        fc.property(
          fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 7 }).filter((weights) => weights.some((w) => w > 0)),
          fc.double({ min: 1.01, max: 3, noNaN: true }),
          fc.array(operationArbitrary, { maxLength: 300 }),
          (weights, boundFactor, operations) => {
            const members = makeMembers(weights);
            const picker = createPicker(configFor(mode, boundFactor), members, { cookieSecret: 'property-secret-0123', random: seededRandom(weights.length), now: () => 1_700_000_000_000 });
            const inflight: BackendState[] = [];
            const cookies = new Map<number, string>();
            for (const operation of operations) {
              if (operation.kind === 'release') {
                if (inflight.length === 0) continue;
                const index = operation.which % inflight.length;
                release(members, inflight[index]);
                inflight.splice(index, 1);
                continue;
              }
              const cookie = cookies.get(operation.client);
              const headers: Record<string, string> = { 'x-client': `client-${operation.client}` };
              if (cookie !== undefined) headers.cookie = cookie;
              const outcome = makeOutcome();
              const backend = picker.pick(makeRequest(`10.0.0.${operation.client}`, '/', headers), outcome, undefined);
              expect(backend).toBeDefined();
              const chosen = backend as BackendState;
              expect(selectableWeight(members, chosen)).toBeGreaterThan(0);
              expect(chosen.inflight + 1).toBeLessThanOrEqual(mathematicalBound(members, chosen, boundFactor));
              acquire(members, chosen);
              inflight.push(chosen);
              // The client stores the cookie's name=value, the part before the attributes.
              if (outcome.setCookie !== undefined) cookies.set(operation.client, outcome.setCookie.split(';')[0]);
            }
          },
        ),
        { numRuns: 150, seed: 20261128 },
      );
    });
  }

  it('spills a hashed key to another backend and says so when its backend is over the bound', () => {
    const members = makeMembers([1, 1, 1, 1]);
    const picker = createPicker(makePoolConfig({ algorithm: 'hash', hash: { by: 'header', name: 'x-user', bound: 1.25 } }), members, { cookieSecret: 'x' });
    const request = makeRequest('10.0.0.1', '/', { 'x-user': 'hot-user' });
    const first = picker.pick(request, makeOutcome(), undefined) as BackendState;
    // The hot key's backend fills up to the bound: with m in flight in total, ceil(1.25 × (m + 1) / 4).
    let spilled = 0;
    for (let i = 0; i < 40; i++) {
      const outcome = makeOutcome();
      const backend = picker.pick(request, outcome, undefined) as BackendState;
      if (backend !== first) {
        expect(outcome.isSpilled).toBe(true);
        spilled++;
      } else {
        expect(outcome.isSpilled).toBe(false);
      }
      acquire(members, backend);
    }
    expect(spilled).toBeGreaterThan(0);
    expect(first.inflight).toBeLessThanOrEqual(Math.ceil((1.25 * 40) / 4));
  });
});
