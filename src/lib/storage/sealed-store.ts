import type { Lock } from '../base/lock.js';
import { AAD_PREFIX, KEY_PREFIX } from '../base/record-names.js';
import type { RecordStore } from '../base/record-store.js';

/** Where the AES-GCM key lives: in the same store, as a non-extractable CryptoKey. */
export const SEALING_KEY = 'key:aes';

/**
 * A record as it sits in IndexedDB: AES-GCM ciphertext of its JSON, bound to its record key. The
 * end-to-end tests read and write this format in the page (tests/fixtures.ts): change both together.
 */
export interface SealedRecord {
  sealed: 1;
  iv: Uint8Array<ArrayBuffer>;
  data: ArrayBuffer;
}

function isSealed(value: unknown): value is SealedRecord {
  return typeof value === 'object' && value !== null && (value as SealedRecord).sealed === 1;
}

/**
 * Wraps a store so every record except the keys is encrypted at rest with AES-GCM under a
 * non-extractable 256-bit key kept in the same store (checklist #61). A copy of the database files
 * gives ciphertext and a key that cannot be exported; it protects against disk theft, not against
 * script running in the page (which could use the key). The record's name is the additional data,
 * so a sealed value moved to another record does not open. A record that no longer opens (its key
 * was lost) reads as missing and is deleted.
 */
export function createSealedStore(inner: RecordStore, lock: Lock): RecordStore {
  let key: Promise<CryptoKey> | undefined;
  // One key for every tab: read at once when it exists; otherwise created under a lock, after
  // reading again whether another tab made it meanwhile.
  const sealingKey = () =>
    (key ??= inner
      .get<CryptoKey>(SEALING_KEY)
      .then(
        (stored) =>
          stored ??
          lock('fieldpass-sealing-key', async () => {
            const again = await inner.get<CryptoKey>(SEALING_KEY);
            if (again) return again;
            const fresh = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
              'encrypt',
              'decrypt',
            ]);
            await inner.set(SEALING_KEY, fresh);
            return fresh;
          }),
      )
      .catch((err: unknown) => {
        key = undefined;
        throw err;
      }));

  const additionalData = (name: string) => new TextEncoder().encode(AAD_PREFIX + name);

  async function seal(name: string, value: unknown): Promise<SealedRecord> {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const plain = new TextEncoder().encode(JSON.stringify(value));
    const data = await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv, additionalData: additionalData(name) },
      await sealingKey(),
      plain,
    );
    return { sealed: 1, iv, data };
  }

  async function open<T>(name: string, value: unknown): Promise<T | undefined> {
    if (value === undefined || name.startsWith(KEY_PREFIX)) return value as T | undefined;
    // Records written before sealing existed are read once and sealed on their next write.
    if (!isSealed(value)) return value as T;
    // A key that cannot be read is a storage failure, thrown; only a record that does not open is lost.
    const key = await sealingKey();
    try {
      const plain = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: value.iv, additionalData: additionalData(name) },
        key,
        value.data,
      );
      return JSON.parse(new TextDecoder().decode(plain)) as T;
    } catch {
      return undefined;
    }
  }

  return {
    async get<T>(name: string) {
      const value = await inner.get<unknown>(name);
      const opened = await open<T>(name, value);
      if (value !== undefined && opened === undefined) await inner.del(name);
      return opened;
    },
    async set(name, value) {
      await inner.set(name, name.startsWith(KEY_PREFIX) ? value : await seal(name, value));
    },
    async take<T>(name: string) {
      // The key is read alongside: a callback takes its attempt on a page that has read nothing yet.
      const [value] = await Promise.all([inner.take<unknown>(name), sealingKey()]);
      return open<T>(name, value);
    },
    del: (name) => inner.del(name),
    keys: () => inner.keys(),
  };
}
