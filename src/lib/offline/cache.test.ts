import { beforeEach, describe, expect, it } from 'vitest';
import { TEST_SERVER } from '../oauth/fake-fetch.test-util.js';
import { type CoreRuntime } from '../oauth/runtime.js';
import { inProcessLock } from '../base/lock.js';
import { SESSION_KEY, type Session } from '../oauth/session.js';
import { createMemoryStore } from '../base/memory-store.js';
import { clearOfflineData, offlineUserKey, readCachedList, saveCachedList } from './cache.js';
import { enqueueWorkOrder } from './outbox.js';

const T0 = Date.UTC(2026, 10, 30, 10, 42);

function session(sub: string | undefined, issuer = TEST_SERVER.issuer): Session {
  return {
    server: { ...TEST_SERVER, issuer },
    client_id: 'fieldpass',
    access_token: 'at',
    token_type: 'DPoP',
    expires_at: T0 + 3_600_000,
    expires_in: 3600,
    scope: 'read:work-orders',
    requested_scope: 'openid read:work-orders',
    updated_at: T0,
    user: sub === undefined ? undefined : { sub },
  };
}

let store: ReturnType<typeof createMemoryStore>;
let runtime: CoreRuntime;
beforeEach(() => {
  store = createMemoryStore({ [SESSION_KEY]: session('tech-0042') });
  runtime = { store, lock: inProcessLock, now: () => T0 };
});

describe('offlineUserKey', () => {
  it('differs by user and by issuer, and names neither in the clear', async () => {
    const sam = await offlineUserKey(session('tech-0042'));
    expect(sam).toMatch(/^[0-9a-f]{32}$/);
    expect(await offlineUserKey(session('tech-0042'))).toBe(sam);
    expect(await offlineUserKey(session('tech-0043'))).not.toBe(sam);
    expect(await offlineUserKey(session('tech-0042', 'https://other.example'))).not.toBe(sam);
  });

  it('is undefined without a sub: nothing is kept when users cannot be told apart', async () => {
    expect(await offlineUserKey(session(undefined))).toBeUndefined();
  });
});

describe('saved lists', () => {
  it('are kept per user and per list, with the time they were fetched', async () => {
    const sam = (await offlineUserKey(session('tech-0042')))!;
    const other = (await offlineUserKey(session('tech-0099')))!;
    expect(await saveCachedList(runtime, sam, '/work-orders', { rows: [{ id: 'WO-1' }], fetchedAt: T0 })).toBe(true);

    expect(await readCachedList(store, sam, '/work-orders')).toEqual({ rows: [{ id: 'WO-1' }], fetchedAt: T0 });
    expect(await readCachedList(store, sam, '/customers')).toBeUndefined();
    // Another user on the same device never reads Sam's list.
    expect(await readCachedList(store, other, '/work-orders')).toBeUndefined();
    expect([...store.data.keys()].some((name) => name.includes('tech-0042'))).toBe(false);
  });

  it('are not written for a user whose session is no longer the stored one (a late answer after sign-out)', async () => {
    const sam = (await offlineUserKey(session('tech-0042')))!;
    const other = (await offlineUserKey(session('tech-0099')))!;
    expect(await saveCachedList(runtime, other, '/work-orders', { rows: [], fetchedAt: T0 })).toBe(false);
    await store.del(SESSION_KEY);
    expect(await saveCachedList(runtime, sam, '/work-orders', { rows: [], fetchedAt: T0 })).toBe(false);
    expect([...store.data.keys()].filter((name) => name.startsWith('cache:'))).toEqual([]);
  });

  it('ignore a malformed record', async () => {
    const sam = (await offlineUserKey(session('tech-0042')))!;
    await store.set(`cache:${sam}:/work-orders`, { rows: 'nope' });
    expect(await readCachedList(store, sam, '/work-orders')).toBeUndefined();
  });
});

describe('clearOfflineData', () => {
  it('removes every saved list and queued order of every user, and nothing else', async () => {
    const sam = (await offlineUserKey(session('tech-0042')))!;
    await saveCachedList(runtime, sam, '/work-orders', { rows: [], fetchedAt: T0 });
    await enqueueWorkOrder(runtime, sam, { title: 'A', customerId: 'CUS-1001' });
    await enqueueWorkOrder(runtime, 'someone-else', { title: 'B', customerId: 'CUS-1001' });
    await store.set('key:aes', 'kept');

    expect(await clearOfflineData(runtime)).toBe(3);

    expect([...store.data.keys()].sort()).toEqual(['key:aes', SESSION_KEY]);
  });
});
