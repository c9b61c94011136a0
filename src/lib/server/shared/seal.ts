import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Seals values stored outside the process with AES-256-GCM, so a copy of the store (a Redis dump,
 * a replica, a backup) holds no usable partner token. Two keys are derived from the one secret by
 * HKDF-SHA256: one encrypts, one makes the fingerprint that compare-and-delete matches without
 * decrypting. The store key is the additional data, so a record moved to another key does not open.
 */
export function createSealer(secret: Uint8Array) {
  if (secret.byteLength !== 32) throw new RangeError('the sealing key must be 32 bytes');
  const derive = (info: string) => Buffer.from(hkdfSync('sha256', secret, new Uint8Array(0), info, 32));
  const encryptionKey = derive('fieldpass shared-state aes-256-gcm');
  const fingerprintKey = derive('fieldpass shared-state fingerprint');

  return {
    /** `<iv>.<ciphertext+tag>`, base64url. */
    seal(plaintext: string, storeKey: string): string {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', encryptionKey, iv);
      cipher.setAAD(Buffer.from(storeKey));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return `${iv.toString('base64url')}.${body.toString('base64url')}`;
    },

    /** The plaintext, or undefined when the record is malformed, altered, or sealed with another key. */
    open(record: string, storeKey: string): string | undefined {
      const [iv, body, extra] = record.split('.');
      if (iv === undefined || body === undefined || extra !== undefined) return undefined;
      try {
        const bytes = Buffer.from(body, 'base64url');
        if (bytes.byteLength < TAG_BYTES) return undefined;
        const decipher = createDecipheriv('aes-256-gcm', encryptionKey, Buffer.from(iv, 'base64url'));
        decipher.setAAD(Buffer.from(storeKey));
        decipher.setAuthTag(bytes.subarray(bytes.byteLength - TAG_BYTES));
        return Buffer.concat([decipher.update(bytes.subarray(0, -TAG_BYTES)), decipher.final()]).toString('utf8');
      } catch {
        return undefined;
      }
    },

    /** A keyed hash of a value: equal values match, and it reveals nothing usable. */
    fingerprint(value: string): string {
      return createHmac('sha256', fingerprintKey).update(value).digest('base64url');
    },
  };
}

export type Sealer = ReturnType<typeof createSealer>;
