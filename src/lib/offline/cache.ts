import { type CoreRuntime } from '../oauth/runtime.js';
import { defaultLock } from '../base/lock.js';
import { getSession, type Session } from '../oauth/session.js';
import type { RecordStore } from '../base/record-store.js';
import { userIdentity } from '../base/user.js';

/** Record names of saved lists start with this, then the user key, then the API path. */
const SAVED_LIST_PREFIX = 'cache:';
/** Record names of queued work orders start with this (see outbox.ts). */
export const OUTBOX_PREFIX = 'outbox:';
/** The Web Lock every outbox send and change is made under, in every tab. */
export const OUTBOX_LOCK = 'fieldpass-outbox';
/** The Web Lock saved lists are written and cleared under. */
const CACHE_LOCK = 'fieldpass-cache';

/** A list as it was last fetched from the API. */
export interface CachedList<Row> {
  rows: Row[];
  /** When it was fetched (epoch ms). */
  fetchedAt: number;
}

/**
 * Whose data a record is: a hash of the issuer and the user's `sub`, so record names in IndexedDB
 * (which are not sealed, unlike the values) say nothing about the user. Undefined without a `sub`
 * (no ID token): then nothing is kept offline, because users could not be told apart.
 */
export async function offlineUserKey(session: Pick<Session, 'server' | 'user'>): Promise<string | undefined> {
  if (!session.user?.sub) return undefined;
  const bytes = new TextEncoder().encode(userIdentity(session));
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest.slice(0, 16), (b) => b.toString(16).padStart(2, '0')).join('');
}

const cacheName = (user: string, path: string) => `${SAVED_LIST_PREFIX}${user}:${path}`;

/** The list `path` as last fetched by `user` on this device, if any. */
export async function readCachedList<Row>(
  store: RecordStore,
  user: string,
  path: string,
): Promise<CachedList<Row> | undefined> {
  const cached = await store.get<CachedList<Row>>(cacheName(user, path));
  return cached && Array.isArray(cached.rows) && typeof cached.fetchedAt === 'number' ? cached : undefined;
}

/**
 * Saves a freshly fetched list for `user`, but only while that user's session is still the stored
 * one: a fetch that answers after a sign-out (in this tab or another) writes nothing back. Runs
 * under the lock `clearOfflineData` takes, so it lands before a clear or not at all.
 */
export async function saveCachedList(
  runtime: CoreRuntime,
  user: string,
  path: string,
  list: CachedList<unknown>,
): Promise<boolean> {
  const lock = runtime.lock ?? defaultLock;
  return lock(CACHE_LOCK, async () => {
    const session = await getSession(runtime);
    if (!session || (await offlineUserKey(session)) !== user) return false;
    await runtime.store.set(cacheName(user, path), list);
    return true;
  });
}

/**
 * Removes every saved list and every queued work order on this device, for every user: sign-out
 * hands the device back clean. Waits for a send under way to finish first (the outbox lock), so
 * no item is written back after it.
 */
export async function clearOfflineData(runtime: CoreRuntime): Promise<number> {
  const lock = runtime.lock ?? defaultLock;
  return lock(OUTBOX_LOCK, () =>
    lock(CACHE_LOCK, async () => {
      const names = (await runtime.store.keys()).filter(
        (name) => name.startsWith(SAVED_LIST_PREFIX) || name.startsWith(OUTBOX_PREFIX),
      );
      for (const name of names) await runtime.store.del(name);
      return names.length;
    }),
  );
}
