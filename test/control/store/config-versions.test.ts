import { describe, expect, it } from 'vitest';
import {
  getConfigVersion,
  latestConfigVersion,
  listConfigVersions,
  recordConfigVersion,
  type Store,
} from '../../../src/control/index.js';
import { DIALECTS, type StoreFixture, openStoreForEachTest } from '../store-fixture.js';

const config = (weight: number) => ({ pools: { portal: { backends: [{ id: 'web-1', url: 'http://10.0.0.11:8000', weight }] } } });

describe.each(DIALECTS)('config versions in the %s store', (dialect) => {
  let fixture: StoreFixture;
  let store: Store;
  openStoreForEachTest(dialect, (opened, openedStore) => {
    fixture = opened;
    store = openedStore;
  });

  it('numbers versions 1, 2, 3 and links each to the one it replaced', async () => {
    expect(await latestConfigVersion(store)).toBeUndefined();
    const first = await recordConfigVersion(store, { author: 'system', source: 'file', reason: 'first start', config: config(100), configYaml: 'pools: {}\n' });
    const second = await recordConfigVersion(store, { author: 'ana', source: 'cli', reason: 'more to web-1', config: config(150) });
    expect(first).toMatchObject({ version: 1, parentVersion: null, configYaml: 'pools: {}\n' });
    expect(second).toMatchObject({ version: 2, parentVersion: 1, configYaml: null });
    expect((await getConfigVersion(store, 1))?.config).toMatchObject(config(100));
    expect((await latestConfigVersion(store))?.version).toBe(2);
    expect(await getConfigVersion(store, 7)).toBeUndefined();
    const rollback = await recordConfigVersion(store, { author: 'system', source: 'automation', reason: 'rollback: skew', config: config(100), parentVersion: 1 });
    expect(rollback).toMatchObject({ version: 3, parentVersion: 1 });
    expect((await listConfigVersions(store, { limit: 2 })).map((version) => version.version)).toEqual([3, 2]);
    expect((await listConfigVersions(store, { beforeVersion: 2 })).map((version) => version.version)).toEqual([1]);
  });

  it('never gives two nodes the same version number', async () => {
    const other = await fixture.open();
    const recorded = await Promise.all(
      Array.from({ length: 10 }, (_, i) => recordConfigVersion(i % 2 === 0 ? store : other, { author: `node:${i % 2}`, source: 'api', reason: `change ${i}`, config: config(i) })),
    );
    expect(recorded.map((version) => version.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('forgets a version recorded in a transaction that failed', async () => {
    await expect(
      store.transaction(async (tx) => {
        await recordConfigVersion(tx, { author: 'ana', source: 'api', reason: 'doomed', config: config(1) });
        throw new Error('apply failed');
      }),
    ).rejects.toThrow('apply failed');
    expect(await latestConfigVersion(store)).toBeUndefined();
  });
});
