import type { RecordStore } from './record-store.js';

/**
 * A Map-backed store for unit tests and for the server's discovery look-up (`config.ts`). Values
 * are cloned like IndexedDB does. No browser code uses it.
 */
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
