import { describe, expect, it } from 'vitest';
import { BalanceConfigError, CookiePersistencePicker, HashPicker, LeastInflightPicker, PowerOfTwoChoicesPicker, SmoothRoundRobinPicker, TablePersistencePicker, WeightedRandomPicker, createPicker } from '../../src/balance/index.js';
import { makeMembers, makePoolConfig } from './fixtures.js';

describe('createPicker', () => {
  it('builds the configured algorithm, wrapped in the configured persistence', () => {
    const members = makeMembers([1, 1]);
    const options = { cookieSecret: 'secret-secret-secret' };
    expect(createPicker(makePoolConfig({ algorithm: 'round-robin' }), members, options)).toBeInstanceOf(SmoothRoundRobinPicker);
    expect(createPicker(makePoolConfig({ algorithm: 'least-inflight' }), members, options)).toBeInstanceOf(LeastInflightPicker);
    expect(createPicker(makePoolConfig({ algorithm: 'p2c' }), members, options)).toBeInstanceOf(PowerOfTwoChoicesPicker);
    expect(createPicker(makePoolConfig({ algorithm: 'random' }), members, options)).toBeInstanceOf(WeightedRandomPicker);
    expect(createPicker(makePoolConfig({ algorithm: 'hash' }), members, options)).toBeInstanceOf(HashPicker);
    expect(createPicker(makePoolConfig({ persistence: { by: 'cookie' } }), members, options)).toBeInstanceOf(CookiePersistencePicker);
    expect(createPicker(makePoolConfig({ persistence: { by: 'source_ip' } }), members, options)).toBeInstanceOf(TablePersistencePicker);
  });

  it('rejects a header or cookie key without a name with EK_BALANCE_KEY_NAME_REQUIRED', () => {
    const members = makeMembers([1]);
    const attempts = [
      () => createPicker(makePoolConfig({ algorithm: 'hash', hash: { by: 'header' } }), members, { cookieSecret: 'x' }),
      () => createPicker(makePoolConfig({ algorithm: 'hash', hash: { by: 'cookie' } }), members, { cookieSecret: 'x' }),
      () => createPicker(makePoolConfig({ persistence: { by: 'header' } }), members, { cookieSecret: 'x' }),
    ];
    for (const attempt of attempts) {
      expect(attempt).toThrow(BalanceConfigError);
      expect(attempt).toThrow(expect.objectContaining({ code: 'EK_BALANCE_KEY_NAME_REQUIRED' }));
    }
  });

  it('rejects cookie persistence without a cookie secret with EK_BALANCE_COOKIE_SECRET_REQUIRED', () => {
    expect(() => createPicker(makePoolConfig({ persistence: { by: 'cookie' } }), makeMembers([1]), { cookieSecret: '' })).toThrow(
      expect.objectContaining({ code: 'EK_BALANCE_COOKIE_SECRET_REQUIRED' }),
    );
  });
});
