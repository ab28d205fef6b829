import { describe, expect, it } from 'vitest';
import { BackendState } from '../../../src/balance/index.js';
import { readTelemetrySeconds, type Store } from '../../../src/control/index.js';
import { SecondPublisher } from '../../../src/node/fleet/second-publisher.js';
import { Telemetry, type FleetSecond } from '../../../src/telemetry/index.js';
import { openStoreForEachTest } from '../../control/store-fixture.js';

const T0 = 1_700_000_000_000;
const S0 = T0 / 1000;

describe('the seconds a fleet node publishes', () => {
  let store: Store;
  openStoreForEachTest('sqlite', (_fixture, opened) => {
    store = opened;
  });

  it('carry the busiest keys of each second, read while the request sample still held it', async () => {
    const clock = { nowMs: T0 - 500 };
    // A busy single process: its sample keeps the last 100 picks, one second of traffic here.
    const telemetry = new Telemetry({ now: () => clock.nowMs, requestSampleCapacity: 100 });
    const backend = new BackendState('portal', 'web-1', 'http://x', 1);
    const publisher = new SecondPublisher({ store, nodeId: 'node-a', telemetry, lagMs: () => 0, now: clock.nowMs });
    const second = (index: number, keyOf: (i: number) => number): void => {
      for (let i = 0; i < 100; i++) {
        clock.nowMs = T0 + index * 1000 + i * 10;
        telemetry.recordPick('portal', clock.nowMs, keyOf(i), 'web-1', 1, true, false);
        telemetry.recordRequest(backend, 200, 5, 1, 1, true, false);
      }
    };
    second(0, (i) => (i < 90 ? 7 : 100 + i)); // one session carries 90 requests
    clock.nowMs = T0 + 1_050;
    publisher.noteKeys(clock.nowMs); // what the node's 1-second timer does
    second(1, (i) => 1_000 + i); // ... and the next second's 100 picks overwrite the whole sample
    clock.nowMs = T0 + 2_050;
    await publisher.publish(clock.nowMs);

    const rows = await readTelemetrySeconds(store, S0);
    const bySecond = new Map(rows.map((row) => [row.second, row.data as FleetSecond]));
    expect(bySecond.get(S0)!.keys).toEqual([{ pool: 'portal', requests: 100, pinned: 100, keys: [7, ...Array.from({ length: 10 }, (_, i) => 190 + i)], counts: [90, ...new Array<number>(10).fill(1)] }]);
    expect(bySecond.get(S0 + 1)!.keys).toMatchObject([{ pool: 'portal', requests: 100, counts: new Array<number>(32).fill(1) }]);
  });
});
