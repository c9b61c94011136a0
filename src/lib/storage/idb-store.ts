import { createStore, del, get, keys, promisifyRequest, set, type UseStore } from 'idb-keyval';
import { FieldpassError } from '../base/errors.js';
import { DATABASE_NAME, STORE_NAME } from '../base/record-names.js';
import type { RecordStore } from '../base/record-store.js';

function unavailable(cause: unknown): never {
  throw new FieldpassError('STORAGE_UNAVAILABLE', 'IndexedDB refused', {}, cause);
}

/**
 * The IndexedDB store: one dedicated database so clearing it never touches other apps' data
 * (`database` names another, such as the inspector's). Every call runs in a single IndexedDB
 * transaction, so a record is written whole or not at all.
 */
export function createIdbStore(database = DATABASE_NAME): RecordStore {
  let store: UseStore;
  try {
    store = createStore(database, STORE_NAME);
  } catch (cause) {
    unavailable(cause);
  }
  const guard = <T>(work: Promise<T>) => work.catch(unavailable);
  return {
    get: (key) => guard(get(key, store)),
    set: (key, value) => guard(set(key, value, store)),
    del: (key) => guard(del(key, store)),
    keys: () => guard(keys<string>(store)),
    take: <T>(key: string) =>
      guard(
        store('readwrite', (s) => {
          const request = s.get(key);
          s.delete(key);
          return promisifyRequest<T | undefined>(request);
        }),
      ),
  };
}
