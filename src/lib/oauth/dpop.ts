import * as oauth from 'oauth4webapi';
import type { ServerEndpoints } from './authorization-server.js';
import { FieldpassError } from '../base/errors.js';
import { type CoreRuntime } from './runtime.js';
import { defaultLock } from '../base/lock.js';

/** Where the DPoP key pair lives: a non-extractable P-256 private key, kept as a CryptoKey. */
export const DPOP_KEY = 'key:dpop';

/** The proof algorithm Fieldpass signs with (RFC 9449 §4.2: asymmetric; ES256 is the common one). */
export const DPOP_ALG = 'ES256';

/** True when the server says it accepts ES256 DPoP proofs (RFC 9449 §5.1). */
export function supportsDpop(server: ServerEndpoints): boolean {
  return server.dpop_signing_alg_values_supported?.includes(DPOP_ALG) === true;
}

/** Where a sign-in attempt that starts without a session keeps its own new key until it completes. */
export function attemptKeyName(state: string): string {
  return `${DPOP_KEY}:${state}`;
}

// One proof handle per stored key, so the server's nonces (which the handle remembers) are reused.
const handles = new WeakMap<object, Map<string, { pair: CryptoKeyPair; handle: oauth.DPoPHandle }>>();

/**
 * A DPoP key pair (RFC 9449 §2) whose private key cannot be exported (checklist #75), stored under
 * `name`. Without `create`, the pair already stored there, made on first use under a lock and
 * read again inside it, so two tabs never end up with different keys.
 */
export async function dpopKeyPair(runtime: CoreRuntime, name = DPOP_KEY, create = false): Promise<CryptoKeyPair> {
  const lock = runtime.lock ?? defaultLock;
  return lock('fieldpass-dpop-key', async () => {
    const stored = create ? undefined : await runtime.store.get<CryptoKeyPair>(name);
    if (stored) return stored;
    // An ES256 key (RFC 7518 §3.4) straight from WebCrypto: the same call oauth4webapi's
    // generateKeyPair makes, without its tables for the algorithms Fieldpass never uses.
    const fresh = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
    await runtime.store.set(name, fresh);
    return fresh;
  });
}

/** The proof handle for the key stored under `name`; undefined when there is none. */
export async function dpopHandle(runtime: CoreRuntime, name = DPOP_KEY): Promise<oauth.DPoPHandle | undefined> {
  const pair = await runtime.store.get<CryptoKeyPair>(name);
  if (!pair) return undefined;
  let cache = handles.get(runtime.store);
  if (!cache) handles.set(runtime.store, (cache = new Map()));
  const cached = cache.get(name);
  // IndexedDB hands back a new object on every read: compare the keys by their public part.
  if (cached && (await sameKey(cached.pair, pair))) return cached.handle;
  const handle = oauth.DPoP({}, pair);
  cache.set(name, { pair, handle });
  return handle;
}

async function sameKey(a: CryptoKeyPair, b: CryptoKeyPair): Promise<boolean> {
  if (a.publicKey === b.publicKey) return true;
  const [x, y] = await Promise.all([a, b].map((p) => crypto.subtle.exportKey('jwk', p.publicKey)));
  return x.x === y.x && x.y === y.y;
}

/**
 * Runs a request that carries a DPoP proof; when the server answers `use_dpop_nonce`, runs it once
 * more — the handle has then stored the nonce the server sent (RFC 9449 §8, §9; checklist #77).
 * A second nonce error in a row is thrown, never looped on.
 */
export async function withNonceRetry<T>(attempt: () => Promise<T>): Promise<T> {
  try {
    return await attempt();
  } catch (err) {
    if (!oauth.isDPoPNonceError(err)) throw err;
    return attempt();
  }
}

/** The stored DPoP handle; its absence means the key was deleted after the attempt started. */
export async function requireDpopHandle(runtime: CoreRuntime, name = DPOP_KEY): Promise<oauth.DPoPHandle> {
  const handle = await dpopHandle(runtime, name);
  if (!handle) throw new FieldpassError('SESSION_ENDED', 'The DPoP key is gone');
  return handle;
}

/**
 * Refuses a token of the wrong kind: a Bearer token when DPoP was asked for means the server did
 * not bind it (RFC 9449 §5, checklist #78), and anything else is not a token Fieldpass can use.
 */
export function assertTokenType(tokens: oauth.TokenEndpointResponse, dpop: boolean): void {
  const expected = dpop ? 'dpop' : 'bearer';
  if (tokens.token_type.toLowerCase() !== expected) {
    throw new FieldpassError('TOKEN_RESPONSE_INVALID', `Got a ${tokens.token_type} token, not ${expected}`);
  }
}
