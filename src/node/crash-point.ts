import type { Store, StoreSession } from '../control/index.js';

// TEST ONLY. The durability test (test/integration/node-store-durability.test.ts) must kill a node in
// the middle of applying a change and show that the store and the live config agree after a restart.
// EVENKEEL_TEST_CRASH_POINT names where the node SIGKILLs itself; it is honoured only with
// NODE_ENV=test, so a production node never reads it:
// - before-commit: inside the transaction that records a new config version, after the rows are written
//   and before COMMIT (the change must be neither recorded nor live after the restart);
// - after-commit: after the version is committed, before the data plane swaps to it (the change must be
//   recorded and, after the restart, live).

export type CrashPoint = 'before-commit' | 'after-commit';

export function crashPointFromEnv(env: NodeJS.ProcessEnv = process.env): CrashPoint | undefined {
  if (env.NODE_ENV !== 'test') return undefined;
  const point = env.EVENKEEL_TEST_CRASH_POINT;
  return point === 'before-commit' || point === 'after-commit' ? point : undefined;
}

export function crashNow(point: CrashPoint): never {
  process.stderr.write(`evenkeel: EVENKEEL_TEST_CRASH_POINT=${point}: killing this process with SIGKILL\n`);
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable: SIGKILL did not stop the process');
}

/**
 * The store, with transactions that SIGKILL the process just before COMMIT when they recorded a new
 * config version other than the first. Costs two reads per transaction, and is used only when the crash point is set.
 */
export function crashBeforeCommit(store: Store): Store {
  const latestVersion = async (session: StoreSession) =>
    (await session.db.selectFrom('config_versions').select('version').orderBy('version', 'desc').limit(1).executeTakeFirst())?.version ?? 0;
  return new Proxy(store, {
    get(target, property) {
      if (property !== 'transaction') {
        // Bound to the real store: its methods use private fields a Proxy receiver does not have.
        const value = Reflect.get(target, property) as unknown;
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      }
      return <T>(fn: (tx: StoreSession) => Promise<T>): Promise<T> =>
        target.transaction(async (tx) => {
          const before = await latestVersion(tx);
          const result = await fn(tx);
          // Version 1 (the first start) is not a change being applied: let it commit.
          if (before > 0 && (await latestVersion(tx)) > before) crashNow('before-commit');
          return result;
        });
    },
  });
}
