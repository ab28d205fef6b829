// The balance/ room: choosing a backend for a request. Other rooms import only from here.
import { DEFAULT_PERSISTENCE_COOKIE, type PoolConfig } from '../config/index.js';
import type { PoolMembers } from './backend.js';
import { CookiePersistencePicker } from './cookie-persistence.js';
import { BalanceConfigError } from './errors.js';
import { HashPicker } from './hash-picker.js';
import { LeastInflightPicker } from './least-inflight.js';
import type { Picker } from './picker.js';
import { PowerOfTwoChoicesPicker } from './power-of-two-choices.js';
import { RequestKey } from './request-key.js';
import { SmoothRoundRobinPicker } from './smooth-round-robin.js';
import { STICK_TABLE_CAPACITY, TablePersistencePicker } from './table-persistence.js';
import { WeightedRandomPicker } from './weighted-random.js';

export { BackendState, PoolMembers, acquire, hasCapacity, isPickable, release, selectableWeight } from './backend.js';
export { resetOutcome, type PickOutcome, type PickRequest, type Picker } from './picker.js';
export { BalanceConfigError } from './errors.js';
export { readCookie } from './request-key.js';
export { loadBound } from './bounded-load.js';
export { HashPicker } from './hash-picker.js';
export { RequestKey, type RequestKeyKind } from './request-key.js';
export { SmoothRoundRobinPicker } from './smooth-round-robin.js';
export { LeastInflightPicker } from './least-inflight.js';
export { PowerOfTwoChoicesPicker } from './power-of-two-choices.js';
export { WeightedRandomPicker } from './weighted-random.js';
export { CookiePersistencePicker } from './cookie-persistence.js';
export { TablePersistencePicker } from './table-persistence.js';
export { SessionCookieSigner } from './session-cookie.js';
export { hashRange, hashString } from './string-hash.js';

/** The load bound factor c when a pool has no `hash` section. */
export const DEFAULT_BOUND_FACTOR = 1.25;

export interface PickerOptions {
  /** Key for signing persistence cookies (proxy.cookie_secret or its fallbacks). */
  cookieSecret: string;
  /** Clock in milliseconds, for cookie and stick-table expiry; Date.now by default. */
  now?: () => number;
  /** Uniform [0, 1) source for p2c, random and keyless hash picks; Math.random by default. */
  random?: () => number;
}

/**
 * The picker for one pool: its algorithm, wrapped in session persistence when `persistence.by` is
 * not none. Throws BalanceConfigError when a header or cookie key has no name (the config loader
 * already rejects that; this guards configs built in code).
 */
export function createPicker(pool: PoolConfig, members: PoolMembers, options: PickerOptions): Picker {
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const base = createAlgorithmPicker(pool, members, random);
  const persistence = pool.persistence;
  switch (persistence.by) {
    case 'none':
      return base;
    case 'cookie':
      if (options.cookieSecret.length === 0) {
        throw new BalanceConfigError('EK_BALANCE_COOKIE_SECRET_REQUIRED', `pool "${members.name}" uses cookie persistence but no cookie secret was given; set proxy.cookie_secret`);
      }
      return new CookiePersistencePicker(members, base, {
        cookieName: persistence.name ?? DEFAULT_PERSISTENCE_COOKIE,
        ttlMs: persistence.ttl,
        boundFactor: persistence.bound,
        secret: options.cookieSecret,
        now,
      });
    case 'header':
    case 'source_ip':
      if (persistence.by === 'header' && !persistence.name) {
        throw new BalanceConfigError('EK_BALANCE_KEY_NAME_REQUIRED', `pool "${members.name}" sets persistence.by: header without persistence.name; name the header, such as "x-session-id"`);
      }
      return new TablePersistencePicker(members, base, {
        by: persistence.by,
        headerName: persistence.name ?? '',
        table: pool.hash?.table ?? 'maglev',
        ttlMs: persistence.ttl,
        boundFactor: persistence.bound,
        capacity: STICK_TABLE_CAPACITY,
        now,
      });
  }
}

function createAlgorithmPicker(pool: PoolConfig, members: PoolMembers, random: () => number): Picker {
  switch (pool.algorithm) {
    case 'round-robin':
      return new SmoothRoundRobinPicker(members);
    case 'least-inflight':
      return new LeastInflightPicker(members);
    case 'p2c':
      return new PowerOfTwoChoicesPicker(members, random);
    case 'random':
      return new WeightedRandomPicker(members, random);
    case 'hash': {
      const by = pool.hash?.by ?? 'source_ip';
      const name = pool.hash?.name;
      if ((by === 'header' || by === 'cookie') && !name) {
        throw new BalanceConfigError('EK_BALANCE_KEY_NAME_REQUIRED', `pool "${members.name}" sets hash.by: ${by} without hash.name; name the ${by}, such as "x-user-id"`);
      }
      return new HashPicker(members, {
        table: pool.hash?.table ?? 'maglev',
        key: new RequestKey(by, name ?? ''),
        boundFactor: pool.hash?.bound ?? DEFAULT_BOUND_FACTOR,
        random,
      });
    }
  }
}
