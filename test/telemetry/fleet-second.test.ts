import { describe, expect, it } from 'vitest';
import { BackendState } from '../../src/balance/index.js';
import { mergeFleetSecond, readFleetInflight, readFleetSeconds, Telemetry, TelemetryError, type FleetSecond } from '../../src/telemetry/index.js';

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

  it('refuses a malformed second without merging any of it', () => {
    const leader = new Telemetry();
    const bad = { format: 1, backends: [{ pool: 'web', id: 'web-1', counts: [1, 2], amounts: [0, 0, 0] }] };
    expect(() => mergeFleetSecond(leader, S0, bad, { source: 'fleet:a', number: 1 })).toThrow(TelemetryError);
    expect(() => mergeFleetSecond(leader, S0, { format: 99, backends: [] }, { source: 'fleet:a', number: 1 })).toThrow(/fleet telemetry second rejected/);
    expect(leader.window('web', 1, T0)).toEqual([]);
  });
});
