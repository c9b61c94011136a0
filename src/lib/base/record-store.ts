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
