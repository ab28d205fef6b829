import { describe, expect, it } from 'vitest';
import {
  createToken,
  ensureBootstrapAdmin,
  listEvents,
  listTokens,
  revokeToken,
  TokenError,
  verifyEvents,
  verifyToken,
  type Store,
} from '../../../src/control/index.js';
import { DIALECTS, type StoreFixture, openStoreForEachTest } from '../store-fixture.js';

describe.each(DIALECTS)('tokens in the %s store', (dialect) => {
  let fixture: StoreFixture;
  let store: Store;
  openStoreForEachTest(dialect, (opened, openedStore) => {
    fixture = opened;
    store = openedStore;
  });

  it('stores a salted scrypt hash, never the token itself', async () => {
    const created = await createToken(store, { name: 'ops-ci', role: 'automation', createdBy: 'ana' });
    expect(created.token).toMatch(/^ek_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(created.token).toContain(created.id);
    const row = await store.db.selectFrom('tokens').selectAll().where('id', '=', created.id).executeTakeFirstOrThrow();
    expect(row.secret_hash).toMatch(/^scrypt\$15\$8\$1\$/);
    expect(row.secret_hash).not.toContain(created.token.slice(20));
    const again = await createToken(store, { name: 'ops-ci-2', role: 'automation', createdBy: 'ana' });
    const other = await store.db.selectFrom('tokens').select('secret_hash').where('id', '=', again.id).executeTakeFirstOrThrow();
    expect(other.secret_hash.split('$')[4]).not.toBe(row.secret_hash.split('$')[4]);
  });

  it('verifies the right token and nothing else', async () => {
    const created = await createToken(store, { name: 'ana', role: 'approver', createdBy: 'admin' });
    expect(await verifyToken(store, created.token)).toEqual({ id: created.id, name: 'ana', role: 'approver' });
    const lastChar = created.token.at(-1) === 'A' ? 'B' : 'A';
    expect(await verifyToken(store, created.token.slice(0, -1) + lastChar)).toBeUndefined();
    expect(await verifyToken(store, 'ek_0000000000000000_' + 'A'.repeat(43))).toBeUndefined();
    expect(await verifyToken(store, '')).toBeUndefined();
    const [listed] = await listTokens(store);
    expect(listed?.lastUsedAt).toBeTypeOf('number');
  });

  it('stops accepting a revoked token and records who revoked it', async () => {
    const created = await createToken(store, { name: 'leaked', role: 'operator', createdBy: 'admin' });
    const revoked = await revokeToken(store, { idOrName: 'leaked', revokedBy: 'ana' });
    expect(revoked.revokedAt).toBeTypeOf('number');
    expect(await verifyToken(store, created.token)).toBeUndefined();
    // Revoking again changes nothing and appends nothing.
    await revokeToken(store, { idOrName: created.id, revokedBy: 'ana' });
    const kinds = (await listEvents(store)).map((event) => [event.kind, event.actor, event.subject]);
    expect(kinds).toEqual([
      ['token.created', 'admin', 'token:leaked'],
      ['token.revoked', 'ana', 'token:leaked'],
    ]);
    expect(await verifyEvents(store)).toEqual({ ok: true, count: 2 });
  });

  it('lists tokens without any hash', async () => {
    await createToken(store, { name: 'viewer-1', role: 'viewer', createdBy: 'admin' });
    await createToken(store, { name: 'gone', role: 'viewer', createdBy: 'admin' });
    await revokeToken(store, { idOrName: 'gone', revokedBy: 'admin' });
    const all = await listTokens(store);
    expect(all.map((token) => token.name)).toEqual(['viewer-1', 'gone']);
    expect(JSON.stringify(all)).not.toContain('scrypt');
    expect((await listTokens(store, { includeRevoked: false })).map((token) => token.name)).toEqual(['viewer-1']);
  });

  it('refuses an unknown role, a taken name and a malformed name with stable codes', async () => {
    await expect(createToken(store, { name: 'x', role: 'root', createdBy: 'admin' })).rejects.toMatchObject({ code: 'EK_TOKEN_ROLE_INVALID' });
    await createToken(store, { name: 'dup', role: 'viewer', createdBy: 'admin' });
    await expect(createToken(store, { name: 'dup', role: 'viewer', createdBy: 'admin' })).rejects.toMatchObject({ code: 'EK_TOKEN_NAME_TAKEN' });
    await expect(createToken(store, { name: 'has space', role: 'viewer', createdBy: 'admin' })).rejects.toBeInstanceOf(TokenError);
    await expect(revokeToken(store, { idOrName: 'nobody', revokedBy: 'admin' })).rejects.toMatchObject({ code: 'EK_TOKEN_NOT_FOUND' });
  });

  it('creates a random bootstrap admin once, however many times it is asked', async () => {
    const first = await ensureBootstrapAdmin(store, {});
    expect(first).toMatchObject({ created: true, name: 'bootstrap-admin', isFromEnvironment: false });
    if (!first.created) return;
    expect(await verifyToken(store, first.token)).toMatchObject({ name: 'bootstrap-admin', role: 'admin' });
    expect(await ensureBootstrapAdmin(store, {})).toEqual({ created: false });
    expect(await listTokens(store)).toHaveLength(1);
  });

  it('creates exactly one bootstrap admin when two nodes start at once', async () => {
    const other = await fixture.open();
    const results = await Promise.all([ensureBootstrapAdmin(store, {}), ensureBootstrapAdmin(other, {})]);
    expect(results.filter((result) => result.created)).toHaveLength(1);
    expect((await listTokens(store)).filter((token) => token.role === 'admin')).toHaveLength(1);
  });

  it('takes the bootstrap admin from EVENKEEL_BOOTSTRAP_TOKEN and stores only its hash', async () => {
    const secret = 'f'.repeat(20) + '0123456789abcdef0123';
    const result = await ensureBootstrapAdmin(store, { EVENKEEL_BOOTSTRAP_TOKEN: secret });
    expect(result).toMatchObject({ created: true, token: secret, isFromEnvironment: true });
    expect(await verifyToken(store, secret)).toMatchObject({ role: 'admin' });
    const rows = await store.db.selectFrom('tokens').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(secret);
  });

  it('refuses a bootstrap token too short to be a secret', async () => {
    await expect(ensureBootstrapAdmin(store, { EVENKEEL_BOOTSTRAP_TOKEN: 'admin' })).rejects.toMatchObject({ code: 'EK_TOKEN_BOOTSTRAP_INVALID' });
  });

  it('creates a new bootstrap admin when every admin token was revoked', async () => {
    const first = await ensureBootstrapAdmin(store, {});
    if (!first.created) throw new Error('expected a bootstrap token');
    await revokeToken(store, { idOrName: first.id, revokedBy: 'ana' });
    expect(await ensureBootstrapAdmin(store, {})).toMatchObject({ created: true, name: 'bootstrap-admin-2' });
  });
});
