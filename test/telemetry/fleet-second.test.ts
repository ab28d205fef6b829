import { describe, expect, it } from 'vitest';
import { BackendState } from '../../src/balance/index.js';
import { AMOUNT_FIELDS, COUNT_FIELDS, mergeFleetSecond, readFleetInflight, readFleetKeys, readFleetSeconds, Telemetry, TelemetryError, type FleetSecond } from '../../src/telemetry/index.js';

const T0 = 1_700_000_000_000;
const S0 = T0 / 1000;

/** What the store does to a published second. */
function overStore(second: FleetSecond): unknown {
  return JSON.parse(JSON.stringify(second)) as unknown;
}

describe('fleet telemetry seconds', () => {
  it("adds up two nodes' seconds in the leader's windows exactly as one node's requests would be", () => {
    const clock = { nowMs: T0 };
    const now = () => clock.nowMs;
    const nodeA = new Telemetry({ now });
    const nodeB = new Telemetry({ now });
    const together = new Telemetry({ now });
    const a1 = new BackendState('web', 'web-1', 'http://x', 1);
    const b1 = new BackendState('web', 'web-1', 'http://x', 1);
    const b2 = new BackendState('web', 'web-2', 'http://x', 1);
    const t1 = new BackendState('web', 'web-1', 'http://x', 1);
    const t2 = new BackendState('web', 'web-2', 'http://x', 1);
    for (let second = 0; second < 3; second++) {
      clock.nowMs = T0 + second * 1000 + 100;
      for (let i = 0; i < 4; i++) {
        nodeA.recordRequest(a1, 200, 12, 1, 1, true, false);
        together.recordRequest(t1, 200, 12, 1, 1, true, false);
      }
      nodeB.recordRequest(b1, 503, 700, 1, 1, false, false);
      together.recordRequest(t1, 503, 700, 1, 1, false, false);
      nodeB.recordRequest(b2, 200, 3, 1, 1, false, false);
      together.recordRequest(t2, 200, 3, 1, 1, false, false);
    }
    clock.nowMs = T0 + 5000;
    const leader = new Telemetry({ now });
    const fromA = readFleetSeconds(nodeA, S0, S0 + 2);
    const fromB = readFleetSeconds(nodeB, S0, S0 + 2);
    expect([...fromA.keys()]).toEqual([S0, S0 + 1, S0 + 2]);
    for (const [second, data] of fromA) mergeFleetSecond(leader, second, overStore(data), { source: 'fleet:a', number: 1 });
    for (const [second, data] of fromB) mergeFleetSecond(leader, second, overStore(data), { source: 'fleet:b', number: 2 });
    // Status classes, pinned counts and the latency histogram (p95) come out as from one node.
    expect(leader.window('web', 3, T0 + 2500)).toEqual(together.window('web', 3, T0 + 2500));
    expect(leader.window('web', 1, T0 + 1500)).toEqual(together.window('web', 1, T0 + 1500));
  });

  it("sums the nodes' requests in flight and proxy errors, and forgets a node's in-flight requests when told", () => {
    const node = new Telemetry();
    const backend = new BackendState('web', 'web-1', 'http://x', 1);
    node.trackBackends([backend]);
    backend.inflight = 3;
    const inflight = readFleetInflight(node);
    expect(inflight).toEqual([{ pool: 'web', id: 'web-1', inflight: 3 }]);
    const leader = new Telemetry();
    const second = (errors: number): FleetSecond => ({ format: 1, backends: [], inflight, proxyErrors: [{ pool: 'web', code: 'EK_NO_HEALTHY_BACKEND', count: errors }] });
    mergeFleetSecond(leader, S0, overStore(second(2)), { source: 'fleet:a', number: 1 });
    mergeFleetSecond(leader, S0, overStore(second(1)), { source: 'fleet:b', number: 2 });
    expect(leader.workerInflight('web', 'web-1')).toBe(6);
    expect(leader.proxyErrors()).toMatchObject([{ pool: 'web', code: 'EK_NO_HEALTHY_BACKEND', count: 3 }]);
    leader.forgetWorker(1);
    expect(leader.workerInflight('web', 'web-1')).toBe(3);
  });

  it("sums every node's busiest keys, so the leader sees a concentration that only another node's clients carry", () => {
    const leaderOwn = new Telemetry();
    const other = new Telemetry();
    const fleet = new Telemetry({ isFleet: true });
    for (let s = 0; s < 10; s++) {
      for (let i = 0; i < 100; i++) {
        const atMs = T0 + s * 1000 + i * 10;
        // The leader's own clients: 100 sessions a second, none busier than another.
        leaderOwn.recordPick('portal', atMs, 1_000 + s * 100 + i, 'web-1', 1, true, false);
        // The other node's: three sessions (a NAT gateway, a crawler) carry 80 of its 100 requests.
        other.recordPick('portal', atMs, i < 80 ? 1 + (i % 3) : 5_000 + s * 100 + i, `web-${1 + (i % 3)}`, 1, true, false);
      }
    }
    for (let s = 0; s < 10; s++) {
      const [ownKeys] = readFleetKeys(leaderOwn, S0 + s);
      const [otherKeys] = readFleetKeys(other, S0 + s);
      expect(ownKeys).toMatchObject({ pool: 'portal', requests: 100, pinned: 100 });
      expect(otherKeys!.keys.slice(0, 3).sort()).toEqual([1, 2, 3]);
      expect(otherKeys!.counts.slice(0, 3)).toEqual([27, 27, 26]);
      // Three heavy keys and 20 single ones; of the leader's 100 single keys, 32 (the most a node publishes).
      expect(otherKeys!.keys).toHaveLength(23);
      expect(ownKeys!.keys).toHaveLength(32);
      mergeFleetSecond(fleet, S0 + s, overStore({ format: 1, backends: [], keys: [ownKeys!] }), { source: 'fleet:leader', number: 1 });
      mergeFleetSecond(fleet, S0 + s, overStore({ format: 1, backends: [], keys: [otherKeys!] }), { source: 'fleet:other', number: 2 });
    }
    const since = T0 - 1;
    const until = T0 + 10_000;
    // The leader's own sample: the 5 busiest keys carry 5 of every 100 requests.
    expect(leaderOwn.keyConcentration('portal', since, until, 5).topKeyRequests).toEqual([1, 1, 1, 1, 1]);
    // The fleet: keys 1, 2 and 3 carry 800 of 2,000 requests, whichever node they reached.
    const fleetWide = fleet.keyConcentration('portal', since, until, 5);
    expect(fleetWide).toMatchObject({ requests: 2_000, pinned: 2_000, topKeyRequests: [270, 270, 260, 1, 1] });
    // Only whole seconds within the window count.
    expect(fleet.keyConcentration('portal', T0 + 4_000, T0 + 6_000, 5).requests).toBe(400);
    expect(fleet.keyConcentration('api', since, until, 5)).toEqual({ requests: 0, pinned: 0, topKeyRequests: [], distinctKeys: 0 });
  });

  it("weighs a node's keys by the requests it served when its sample held fewer (a node with workers)", () => {
    const fleet = new Telemetry({ isFleet: true });
    const served = (requests: number): FleetSecond['backends'] => {
      const counts = new Array<number>(COUNT_FIELDS).fill(0);
      counts[1] = requests; // 2xx
      return [{ pool: 'portal', id: 'web-1', counts, amounts: new Array<number>(AMOUNT_FIELDS).fill(0) }];
    };
    // Served 1,000 requests, of which its primary's sample held 100: key 9 carried 60 of them.
    mergeFleetSecond(fleet, S0, overStore({ format: 1, backends: served(1_000), keys: [{ pool: 'portal', requests: 100, pinned: 100, keys: [9, 10], counts: [60, 1] }] }), { source: 'fleet:a', number: 1 });
    // Served 1,000 and sampled them all, over 1,000 keys.
    mergeFleetSecond(fleet, S0, overStore({ format: 1, backends: served(1_000), keys: [{ pool: 'portal', requests: 1_000, pinned: 0, keys: [20, 21], counts: [1, 1] }] }), { source: 'fleet:b', number: 2 });
    expect(fleet.keyConcentration('portal', T0, T0 + 1_000, 2)).toEqual({ requests: 2_000, pinned: 1_000, topKeyRequests: [600, 10], distinctKeys: 4 });
  });

  it('refuses a malformed second without merging any of it', () => {
    const leader = new Telemetry();
    const bad = { format: 1, backends: [{ pool: 'web', id: 'web-1', counts: [1, 2], amounts: [0, 0, 0] }] };
    expect(() => mergeFleetSecond(leader, S0, bad, { source: 'fleet:a', number: 1 })).toThrow(TelemetryError);
    expect(() => mergeFleetSecond(leader, S0, { format: 99, backends: [] }, { source: 'fleet:a', number: 1 })).toThrow(/fleet telemetry second rejected/);
    const fleet = new Telemetry({ isFleet: true });
    const unevenKeys = { format: 1, backends: [], keys: [{ pool: 'web', requests: 10, pinned: 0, keys: [1, 2], counts: [5] }] };
    expect(() => mergeFleetSecond(fleet, S0, unevenKeys, { source: 'fleet:a', number: 1 })).toThrow(/malformed keys/);
    expect(fleet.keyConcentration('web', T0 - 1, T0 + 1000, 5).requests).toBe(0);
    expect(leader.window('web', 1, T0)).toEqual([]);
  });
});
