import type { RecordStore } from '../base/record-store.js';
import { INSPECT_KEY_PREFIX, INSPECT_PREFIX } from './attempt.js';
import { PROFILE_KEY_PREFIX } from './profiles.js';

/**
 * The inspector keeps its profiles, attempts and DPoP keys in a database of its own, apart from
 * the signed-in user's session: clearing one never touches the other, and nothing the inspector
 * does can read or overwrite the session's records.
 */
export const INSPECTOR_DATABASE = 'fieldpass-inspector';

/** The records that belong to the inspector: profiles, attempts and their DPoP keys. */
export const INSPECTOR_RECORD_PREFIXES = [PROFILE_KEY_PREFIX, INSPECT_PREFIX, INSPECT_KEY_PREFIX] as const;

export function isInspectorRecord(key: string): boolean {
  return INSPECTOR_RECORD_PREFIXES.some((prefix) => key.startsWith(prefix));
}

/**
 * Moves the inspector's records from `from` (the session's store, which holds them for profiles
 * saved before the inspector had its own database) into `to`. Each is written before it is deleted, so an interrupted move loses nothing and
 * the next one finishes it; a record already in `to` is kept, being the newer. Returns the keys moved.
 */
export async function moveInspectorRecords(from: RecordStore, to: RecordStore): Promise<string[]> {
  const moved: string[] = [];
  for (const key of (await from.keys()).filter(isInspectorRecord)) {
    const value = await from.get(key);
    if (value !== undefined && (await to.get(key)) === undefined) await to.set(key, value);
    await from.del(key);
    moved.push(key);
  }
  return moved;
}

/** `store`, each call waiting for `ready` first (the move above), whether it succeeded or not. */
export function afterReady(store: RecordStore, ready: Promise<unknown>): RecordStore {
  const settled = ready.then(
    () => undefined,
    () => undefined,
  );
  return {
    get: async (key) => (await settled, store.get(key)),
    set: async (key, value) => (await settled, store.set(key, value)),
    take: async (key) => (await settled, store.take(key)),
    del: async (key) => (await settled, store.del(key)),
    keys: async () => (await settled, store.keys()),
  };
}
