import { serialize } from 'node:v8';
import { beforeEach, describe, expect, it } from 'vitest';
import { FieldpassError } from '../base/errors.js';
import { inProcessLock, type Lock } from '../base/lock.js';
import { createMemoryStore } from '../base/memory-store.js';
import type { RecordStore } from '../base/record-store.js';
import { createSealedStore, SEALING_KEY, type SealedRecord } from './sealed-store.js';

const REFRESH_TOKEN = 'rt-5Jc9tq2ZbXvN8wLmP3kR';
const ACCESS_TOKEN = 'at-Hq7Wd4sY1uTgE6oAzB0c';

const SESSION = {
  access_token: ACCESS_TOKEN,
  refresh_token: REFRESH_TOKEN,
  token_type: 'dpop',
  expires_at: 1_735_732_830_000,
  scope: 'read:work-orders',
  user: { sub: 'u-1', name: 'Ada Lovelace' },
};

/** The bytes a structured-clone store (IndexedDB in Chromium) writes for a value, as text to search. */
const rawBytes = (value: unknown) => serialize(value).toString('latin1');

let inner: ReturnType<typeof createMemoryStore>;
let store: RecordStore;

beforeEach(() => {
  inner = createMemoryStore();
  store = createSealedStore(inner, inProcessLock);
});

describe('createSealedStore (#61)', () => {
  it.each([
    ['a token set', SESSION],
    ['a string', 'plain words'],
    ['a number', 42],
    ['an array', [1, 'two', { three: 3 }]],
    ['text outside ASCII', { name: 'Zoë Ørsted — 東京 🔑' }],
  ])('#61 round trip: %s reads back as it was written', async (_name, value) => {
    await store.set('record', value);
    expect(await store.get('record')).toEqual(value);
    // Sealed: the stored value is not the value itself.
    expect(inner.data.get('record')).not.toEqual(value);
  });

  it('#61 the raw record is ciphertext: no token string, only the sealed marker, a 12-byte IV and data', async () => {
    await store.set('session', SESSION);

    const raw = inner.data.get('session') as SealedRecord;
    expect(Object.keys(raw).sort()).toEqual(['data', 'iv', 'sealed']);
    expect(raw.sealed).toBe(1);
    expect(raw.iv).toBeInstanceOf(Uint8Array);
    expect(raw.iv.byteLength).toBe(12);
    expect(raw.data).toBeInstanceOf(ArrayBuffer);
    const bytes = rawBytes(raw);
    for (const secret of [REFRESH_TOKEN, ACCESS_TOKEN, 'Ada Lovelace']) expect(bytes).not.toContain(secret);
    // The search itself works: the same serialization of the plain value shows the tokens.
    expect(rawBytes(SESSION)).toContain(REFRESH_TOKEN);
  });

  it('#61 the same value sealed twice gets a fresh IV and different ciphertext', async () => {
    await store.set('a', SESSION);
    await store.set('b', SESSION);
    const [a, b] = ['a', 'b'].map((name) => inner.data.get(name) as SealedRecord);
    expect(base64(a.iv)).not.toBe(base64(b.iv));
    expect(base64(a.data)).not.toBe(base64(b.data));
  });

  it('#61 the sealing key is a non-extractable AES-GCM CryptoKey that exportKey refuses', async () => {
    await store.set('session', SESSION);

    const key = inner.data.get(SEALING_KEY) as CryptoKey;
    expect(key).toBeInstanceOf(CryptoKey);
    expect(key.extractable).toBe(false);
    expect(key.type).toBe('secret');
    expect(key.algorithm).toEqual({ name: 'AES-GCM', length: 256 });
    expect([...key.usages].sort()).toEqual(['decrypt', 'encrypt']);
    for (const format of ['raw', 'jwk'] as const) {
      await expect(crypto.subtle.exportKey(format, key)).rejects.toThrow();
    }
    expect([...inner.data.keys()].sort()).toEqual([SEALING_KEY, 'session']);
  });

  it('reading a missing record returns undefined and creates nothing', async () => {
    expect(await store.get('nothing')).toBeUndefined();
    expect(inner.data.size).toBe(0);
  });

  it('#61 a sealed value copied to another record name does not open: it reads missing and is deleted', async () => {
    await store.set('pending:abc', { code_verifier: 'v' });
    await store.set('session', SESSION);
    inner.data.set('pending:xyz', inner.data.get('session'));

    expect(await store.get('pending:xyz')).toBeUndefined();
    expect(inner.data.has('pending:xyz')).toBe(false);
    // The original and the other records still open.
    expect(await store.get('session')).toEqual(SESSION);
    expect(await store.get('pending:abc')).toEqual({ code_verifier: 'v' });
  });

  it('#61 a record sealed under another key reads missing and is deleted; the key stays', async () => {
    await store.set('session', SESSION);
    const otherInner = createMemoryStore();
    const other = createSealedStore(otherInner, inProcessLock);
    await other.set('preferences', { theme: 'dark' });
    const otherKey = otherInner.data.get(SEALING_KEY);
    otherInner.data.set('session', inner.data.get('session'));

    expect(await other.get('session')).toBeUndefined();
    expect(otherInner.data.has('session')).toBe(false);
    expect(otherInner.data.get(SEALING_KEY)).toBe(otherKey);
    expect(await other.get('preferences')).toEqual({ theme: 'dark' });
  });

  it('#61 when the key record is lost, the records it sealed read missing and are deleted', async () => {
    await store.set('session', SESSION);
    inner.data.delete(SEALING_KEY);

    const reloaded = createSealedStore(inner, inProcessLock);

    expect(await reloaded.get('session')).toBeUndefined();
    expect(inner.data.has('session')).toBe(false);
    // New records are sealed under a new key and open.
    await reloaded.set('session', SESSION);
    expect(await reloaded.get('session')).toEqual(SESSION);
  });

  const tampered: { name: string; alter: (record: SealedRecord) => unknown }[] = [
    { name: 'one ciphertext bit flipped', alter: (r) => ({ ...r, data: flipFirstBit(r.data) }) },
    { name: 'one IV bit flipped', alter: (r) => ({ ...r, iv: new Uint8Array(flipFirstBit(r.iv.buffer)) }) },
    { name: 'the tag cut off', alter: (r) => ({ ...r, data: r.data.slice(0, r.data.byteLength - 16) }) },
    { name: 'empty ciphertext', alter: (r) => ({ ...r, data: new ArrayBuffer(0) }) },
    { name: 'a shorter IV', alter: (r) => ({ ...r, iv: r.iv.slice(0, 8) }) },
    { name: 'no IV', alter: (r) => ({ sealed: 1, data: r.data }) },
    { name: 'no data', alter: (r) => ({ sealed: 1, iv: r.iv }) },
    { name: 'strings where bytes belong', alter: () => ({ sealed: 1, iv: 'aaaaaaaaaaaa', data: 'bbbb' }) },
    { name: 'only the marker', alter: () => ({ sealed: 1 }) },
  ];

  it.each(tampered)('#61 a tampered record ($name) reads missing and is deleted', async ({ alter }) => {
    await store.set('session', SESSION);
    inner.data.set('session', alter(inner.data.get('session') as SealedRecord));

    expect(await store.get('session')).toBeUndefined();
    expect(inner.data.has('session')).toBe(false);
  });

  it('take returns the plaintext and deletes the record', async () => {
    await store.set('pending:abc', { code_verifier: 'verifier-1' });
    expect(await store.take('pending:abc')).toEqual({ code_verifier: 'verifier-1' });
    expect(inner.data.has('pending:abc')).toBe(false);
    expect(await store.take('pending:abc')).toBeUndefined();
  });

  it('take of a record that does not open returns undefined and leaves nothing', async () => {
    await store.set('session', SESSION);
    inner.data.set('pending:abc', inner.data.get('session'));
    expect(await store.take('pending:abc')).toBeUndefined();
    expect(inner.data.has('pending:abc')).toBe(false);
  });

  it('key:* records are kept as they are, not sealed', async () => {
    const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
    await store.set('key:dpop', pair);

    const raw = inner.data.get('key:dpop') as CryptoKeyPair;
    expect(raw.privateKey).toBeInstanceOf(CryptoKey);
    expect(raw.privateKey.extractable).toBe(false);
    const read = await store.get<CryptoKeyPair>('key:dpop');
    expect(await publicJwk(read!)).toEqual(await publicJwk(pair));
    // Storing a key does not create the sealing key.
    expect(inner.data.has(SEALING_KEY)).toBe(false);
  });

  it('a plaintext record written before sealing reads as it is and is sealed on its next write', async () => {
    inner.data.set('session', SESSION);
    expect(await store.get('session')).toEqual(SESSION);
    expect(inner.data.get('session')).toEqual(SESSION);

    await store.set('session', { ...SESSION, access_token: 'at-2' });
    expect(rawBytes(inner.data.get('session'))).not.toContain(REFRESH_TOKEN);
    expect(await store.get('session')).toEqual({ ...SESSION, access_token: 'at-2' });
  });

  it('del and keys pass through to the inner store', async () => {
    await store.set('session', SESSION);
    expect((await store.keys()).sort()).toEqual([SEALING_KEY, 'session']);
    await store.del('session');
    expect(inner.data.has('session')).toBe(false);
  });

  it('#61 a reload (a new store over the same records) opens what the first one sealed', async () => {
    await store.set('session', SESSION);
    const reloaded = createSealedStore(inner, inProcessLock);
    expect(await reloaded.get('session')).toEqual(SESSION);
  });

  it('#61 two stores over the same records, started at once, share one key', async () => {
    const names: string[] = [];
    const lock: Lock = (name, work) => {
      names.push(name);
      return inProcessLock(name, work);
    };
    const tabA = createSealedStore(inner, lock);
    const tabB = createSealedStore(inner, lock);

    await Promise.all([tabA.set('a', 'from A'), tabB.set('b', 'from B')]);

    expect(names).toEqual(['fieldpass-sealing-key', 'fieldpass-sealing-key']);
    expect(await tabA.get('b')).toBe('from B');
    expect(await tabB.get('a')).toBe('from A');
    expect(await createSealedStore(inner, inProcessLock).get('a')).toBe('from A');
  });

  it('control for the test above: without a lock the two stores do make different keys', async () => {
    const noLock: Lock = (_name, work) => work();
    const tabA = createSealedStore(inner, noLock);
    const tabB = createSealedStore(inner, noLock);

    await Promise.all([tabA.set('a', 'from A'), tabB.set('b', 'from B')]);

    const opened = [await tabA.get('b'), await tabB.get('a')];
    expect(opened).toContain(undefined);
  });

  const keyFailures: { name: string; make: (base: RecordStore) => { inner: RecordStore; lock: Lock } }[] = [
    {
      name: 'reading the key record fails once',
      make: (base) => {
        let failures = 1;
        const flaky: RecordStore = {
          ...base,
          get: <T>(name: string) =>
            name === SEALING_KEY && failures-- > 0 ? Promise.reject(unavailable()) : base.get<T>(name),
        };
        return { inner: flaky, lock: inProcessLock };
      },
    },
  ];

  it.each(keyFailures)('#61 when $name, the read fails and the record is kept (not read as lost)', async ({ make }) => {
    await store.set('session', SESSION);
    const reload = make(inner);
    const reloaded = createSealedStore(reload.inner, reload.lock);

    await expect(reloaded.get('session')).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    expect(inner.data.has('session')).toBe(true);
    expect(await reloaded.get('session')).toEqual(SESSION);
  });
});

describe('createSealedStore: the key lock', () => {
  it('is taken only to create the key: reading records under an existing key needs no lock', async () => {
    const inner = createMemoryStore();
    const locked: string[] = [];
    const lock: Lock = (name, work) => {
      locked.push(name);
      return inProcessLock(name, work);
    };
    await createSealedStore(inner, lock).set('session', SESSION);
    expect(locked).toEqual(['fieldpass-sealing-key']);

    const failing: Lock = () => Promise.reject(unavailable());
    const reloaded = createSealedStore(inner, failing);
    expect(await reloaded.get('session')).toEqual(SESSION);
    expect(await reloaded.take('session')).toEqual(SESSION);
  });
});

function unavailable() {
  return new FieldpassError('STORAGE_UNAVAILABLE', 'IndexedDB refused');
}

function base64(bytes: ArrayBuffer | Uint8Array): string {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)));
}

function flipFirstBit(buffer: ArrayBuffer): ArrayBuffer {
  const copy = new Uint8Array(buffer.slice(0));
  copy[0] ^= 1;
  return copy.buffer;
}

async function publicJwk(pair: CryptoKeyPair): Promise<JsonWebKey> {
  return crypto.subtle.exportKey('jwk', pair.publicKey);
}
