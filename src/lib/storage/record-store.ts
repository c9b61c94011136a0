/**
 * The storage the core needs: a small key/value store whose every call is one transaction.
 * In the browser it is IndexedDB through idb-keyval (`createIdbStore`); in unit tests, a Map.
 */
export interface RecordStore {
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
  /** Reads and deletes a record in one transaction, so two readers can never both get it. */
  take<T>(key: string): Promise<T | undefined>;
  del(key: string): Promise<void>;
  keys(): Promise<string[]>;
}

/** A Map-backed store for tests and for browsers without IndexedDB. Values are cloned like IndexedDB does. */
export function createMemoryStore(
  initial: Record<string, unknown> = {},
): RecordStore & { readonly data: Map<string, unknown> } {
  const data = new Map<string, unknown>(Object.entries(initial));
  return {
    data,
    async get<T>(key: string) {
      const value = data.get(key);
      return value === undefined ? undefined : (structuredClone(value) as T);
    },
    async set(key, value) {
      data.set(key, structuredClone(value));
    },
    async take<T>(key: string) {
      const value = data.get(key);
      data.delete(key);
      return value as T | undefined;
    },
    async del(key) {
      data.delete(key);
    },
    async keys() {
      return [...data.keys()];
    },
  };
}
