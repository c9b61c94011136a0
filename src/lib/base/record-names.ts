// Where Fieldpass keeps its records in the browser, and how a sealed record is bound to its name:
// the storage adapter (src/lib/storage/) and the end-to-end tests that read its records share them.

/** The IndexedDB database and object store Fieldpass keeps its records in. */
export const DATABASE_NAME = 'fieldpass';
export const STORE_NAME = 'records';

/** Records under this prefix are keys themselves (CryptoKeys IndexedDB keeps as they are). */
export const KEY_PREFIX = 'key:';

/** A sealed record's additional data is this prefix followed by the record's name. */
export const AAD_PREFIX = 'fieldpass:';
