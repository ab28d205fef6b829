import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseStoreUrl, StoreError } from '../../../src/control/index.js';

describe('store URLs', () => {
  it('resolves a relative sqlite path against the working directory', () => {
    const location = parseStoreUrl('sqlite://./data/evenkeel.db', '/srv/ek');
    expect(location).toMatchObject({ dialect: 'sqlite', filename: path.resolve('/srv/ek/data/evenkeel.db'), isMemory: false });
  });

  it('keeps an absolute sqlite path', () => {
    expect(parseStoreUrl('sqlite:///var/lib/ek/x.db', '/srv')).toMatchObject({ filename: '/var/lib/ek/x.db' });
  });

  it('accepts an in-memory sqlite store for tests', () => {
    expect(parseStoreUrl('sqlite::memory:')).toMatchObject({ dialect: 'sqlite', isMemory: true });
  });

  it('takes the schema out of a postgres URL and hides the password when displayed', () => {
    const location = parseStoreUrl('postgresql://ek:hunter2@db.internal:5432/evenkeel?schema=ek_prod&sslmode=require');
    expect(location.dialect).toBe('postgres');
    if (location.dialect !== 'postgres') return;
    expect(location.schema).toBe('ek_prod');
    expect(location.connectionString).not.toContain('schema=');
    expect(location.connectionString).toContain('sslmode=require');
    expect(location.displayUrl).not.toContain('hunter2');
  });

  it.each([
    ['mysql://localhost/db', 'an unsupported scheme'],
    ['sqlite://', 'a sqlite URL without a path'],
    ['postgres://localhost/db?schema=Robert%27);drop', 'a schema name that is not a plain identifier'],
    ['evenkeel.db', 'a bare path'],
  ])('refuses %s (%s) with EK_STORE_URL_INVALID', (url) => {
    expect(() => parseStoreUrl(url)).toThrow(StoreError);
    try {
      parseStoreUrl(url);
    } catch (error) {
      expect((error as StoreError).code).toBe('EK_STORE_URL_INVALID');
    }
  });

  it('never repeats a password in the error for a bad URL', () => {
    expect(() => parseStoreUrl('postgres://ek:hunter2@/db')).toThrow(/^(?!.*hunter2)/s);
  });
});
