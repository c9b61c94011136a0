// Idempotency keys for POST /work-orders (draft-ietf-httpapi-idempotency-key-header): a retry that
// carries the same key and the same body gets the first answer again instead of a second order.
// The real Fentu docs do not mention idempotency keys; this is the sandbox's own, documented policy.

import { createHash } from 'node:crypto';

/** Keys are remembered this long (the draft asks servers to publish their expiry). */
const KEY_TTL_MS = 24 * 60 * 60 * 1000;
/** At most this many keys are remembered; the oldest go first. */
const MAX_KEYS = 5_000;

/**
 * The key from an `Idempotency-Key` header: an sf-string (RFC 8941 §3.3.3), 1 to 255 printable
 * ASCII characters. `{ key: undefined }` when there is no header; `{ error }` when it is malformed.
 */
export function parseIdempotencyKey(header) {
  if (header === undefined) return { key: undefined };
  if (Array.isArray(header)) return { error: 'Send one Idempotency-Key header, not several.' };
  const match = /^"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\]){1,255})"$/.exec(header.trim());
  if (!match) return { error: 'Idempotency-Key must be a quoted string, e.g. "8e03978e-40d5-43e8-bc93-6894a57f9324".' };
  return { key: match[1].replace(/\\(["\\])/g, '$1') };
}

/**
 * Remembers completed requests by caller (client and user, so one caller's keys never answer
 * another's) and key. Only successful answers are kept: a refused request created nothing, so the
 * same key may be sent again once the cause is fixed.
 */
export function createIdempotencyStore({ ttlMs = KEY_TTL_MS, maxKeys = MAX_KEYS, now = Date.now } = {}) {
  const done = new Map();
  const inProgress = new Set();
  const fingerprint = (body) => createHash('sha256').update(body).digest('base64url');

  function prune() {
    const cutoff = now() - ttlMs;
    for (const [id, entry] of done) {
      if (entry.at >= cutoff && done.size <= maxKeys) break;
      done.delete(id);
    }
  }

  return {
    /**
     * What to do with a request: `{ replay }` (the same request again: answer as before),
     * `{ conflict: 409 }` (still being processed), `{ conflict: 422 }` (the key was used with
     * another body), or `{ proceed: finish }` where `finish(status, body)` records the answer.
     */
    begin(caller, key, rawBody) {
      prune();
      const id = `${caller}\n${key}`;
      const print = fingerprint(rawBody);
      if (inProgress.has(id)) return { conflict: 409 };
      const entry = done.get(id);
      if (entry) return entry.fingerprint === print ? { replay: entry } : { conflict: 422 };
      inProgress.add(id);
      return {
        proceed(status, body) {
          inProgress.delete(id);
          if (status >= 200 && status < 300) done.set(id, { fingerprint: print, status, body, at: now() });
          prune();
        },
      };
    },
    get size() {
      return done.size;
    },
  };
}
