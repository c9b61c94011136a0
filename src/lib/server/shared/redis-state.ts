/**
 * Shared state in Redis, so that every instance behind the load balancer uses one service token
 * per provider, makes one token request at a time, honours a partner's Retry-After, and counts
 * requests against one rate limit.
 *
 * When Redis cannot be reached (not yet connected, connection lost, a command timing out), each
 * concern degrades on its own, and the client reconnects by itself:
 * - Service tokens, the token-request lock and the cache (`getJson`) fall back to this instance's
 *   memory: calls keep working, at the cost of one token request per instance instead of one in all.
 * - Holds are written to memory as well as Redis, so an instance keeps honouring a Retry-After it
 *   saw before the outage; during it, each instance honours the ones it sees itself.
 * - Rate limits fall back to counting in this instance's memory with the same limit, so during an
 *   outage the whole service may let through up to the limit times the number of instances.
 * - `firstUse` fails closed with SharedStateUnavailableError: one instance cannot tell whether
 *   another already saw a key, and accepting a replayed proof is worse than a 503 for a while.
 * The outage is logged once as one JSON line (host and port only, never a password or a token),
 * the recovery once more, and `health().shared` is false meanwhile, for readiness checks.
 */
import { createMemoryState } from './memory-state.js';
import { connectRedis, type RedisConnection } from './redis-connection.js';
import { DROP_TOKEN, LOCK, PUT_TOKEN, TAKE, UNLOCK } from './redis-scripts.js';
import { createSealer, type Sealer } from './seal.js';
import { SharedStateUnavailableError, type CachedToken, type Hold, type SharedState } from './state.js';

export interface RedisStateOptions {
  /** redis:// or rediss:// URL, with the password if Redis needs one. */
  url: string;
  /** 32 bytes: seals tokens and cached values at rest (AES-256-GCM). */
  sealingKey: Uint8Array;
  /** Prepended to every key, so several apps can share one Redis. */
  keyPrefix?: string;
  /** Longest wait for one answer before Redis counts as unreachable (500 ms). */
  commandTimeoutMs?: number;
  /** Where the outage and recovery lines go. */
  warn?: (line: string) => void;
}

/** Key names under a prefix. */
function keyNames(prefix: string) {
  return {
    // Hash tags keep a token, its lock and its fence in one slot, as a Redis Cluster script needs.
    token: (key: string) => `${prefix}token:{${key}}`,
    lock: (key: string) => `${prefix}lock:{${key}}`,
    fence: (key: string) => `${prefix}fence:{${key}}`,
    hold: (key: string) => `${prefix}hold:${key}`,
    rate: (key: string) => `${prefix}rate:${key}`,
    once: (key: string) => `${prefix}once:${key}`,
    json: (key: string) => `${prefix}json:${key}`,
  };
}

interface Context {
  redis: RedisConnection;
  keys: ReturnType<typeof keyNames>;
  sealer: Sealer;
  /** The fallback while Redis is unreachable. */
  local: SharedState;
}

/** A token record: `<fingerprint>.<sealed JSON>`; the fingerprint lets DROP_TOKEN match without decrypting. */
function openToken(sealer: Sealer, record: string | null, storeKey: string): CachedToken | undefined {
  const sealed = record?.slice(record.indexOf('.') + 1);
  const text = sealed && sealer.open(sealed, storeKey);
  if (!text) return undefined;
  const token = JSON.parse(text) as CachedToken;
  return Date.now() < token.expiresAt ? token : undefined;
}

/** Service tokens and the token-request lock. */
function tokenOperations({ redis, keys, sealer, local }: Context) {
  const { client, shared, run } = redis;
  return {
    getToken(key) {
      const storeKey = keys.token(key);
      return shared(
        async () => openToken(sealer, await client.get(storeKey), storeKey),
        () => local.getToken(key),
      );
    },
    putToken(key, token, fence) {
      // A lock taken in this instance's memory (during an outage) stores there only.
      if (fence !== undefined && fence < 0) return local.putToken(key, token, -fence);
      const storeKey = keys.token(key);
      const ttl = Math.ceil(token.expiresAt - Date.now());
      if (ttl <= 0) return Promise.resolve(false);
      const record = `${sealer.fingerprint(token.value)}.${sealer.seal(JSON.stringify(token), storeKey)}`;
      return shared(
        async () => (await run(PUT_TOKEN, [storeKey, keys.fence(key)], [record, ttl, fence ?? ''])) === 1,
        () => local.putToken(key, token),
      );
    },
    async dropTokenIf(key, value) {
      const dropped = await local.dropTokenIf(key, value);
      return shared(
        async () => (await run(DROP_TOKEN, [keys.token(key)], [`${sealer.fingerprint(value)}.`])) === 1,
        () => dropped,
      );
    },
    // Fences from Redis are positive; a lock taken in this instance's memory while Redis does not
    // answer gets its fence negated, so the two can never be mistaken for one another.
    lock(key, ttlMs) {
      return shared(
        async () => Number(await run(LOCK, [keys.lock(key), keys.fence(key)], [Math.ceil(ttlMs)])) || undefined,
        async () => {
          const fence = await local.lock(key, ttlMs);
          return fence === undefined ? undefined : -fence;
        },
      );
    },
    async unlock(key, fence) {
      if (fence < 0) return local.unlock(key, -fence);
      await shared(
        async () => {
          await run(UNLOCK, [keys.lock(key)], [fence]);
        },
        () => undefined,
      );
    },
  } satisfies Partial<SharedState>;
}

/** Holds, rate limits, one-time keys and the short cache. */
function otherOperations({ redis, keys, sealer, local }: Context) {
  const { client, shared, run } = redis;
  return {
    getHold(key) {
      return shared(
        async () => {
          const hold = JSON.parse((await client.get(keys.hold(key))) ?? 'null') as Hold | null;
          return hold && Date.now() < hold.until ? hold : local.getHold(key);
        },
        () => local.getHold(key),
      );
    },
    async setHold(key, hold) {
      await local.setHold(key, hold);
      const ttl = Math.ceil(hold.until - Date.now());
      if (ttl <= 0) return;
      await shared(
        async () => {
          await client.set(keys.hold(key), JSON.stringify(hold), { expiration: { type: 'PX', value: ttl } });
        },
        () => undefined,
      );
    },
    take(key, limit, windowMs) {
      return shared(
        async () => {
          const [allowed, left] = (await run(TAKE, [keys.rate(key)], [limit, Math.ceil(windowMs)])) as number[];
          return allowed === 1
            ? { allowed: true, retryAfterSeconds: 0 }
            : { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(left / 1000)) };
        },
        () => local.take(key, limit, windowMs),
      );
    },
    firstUse(key, ttlMs) {
      return shared(
        async () =>
          (await client.set(keys.once(key), '1', {
            condition: 'NX',
            expiration: { type: 'PX', value: Math.ceil(ttlMs) },
          })) === 'OK',
        () => {
          throw new SharedStateUnavailableError();
        },
      );
    },
    getJson<T>(key: string) {
      const storeKey = keys.json(key);
      return shared(
        async () => {
          const record = await client.get(storeKey);
          const text = record === null ? undefined : sealer.open(record, storeKey);
          return text === undefined ? undefined : (JSON.parse(text) as T);
        },
        () => local.getJson<T>(key),
      );
    },
    async setJson(key, value, ttlMs) {
      const storeKey = keys.json(key);
      const record = sealer.seal(JSON.stringify(value), storeKey);
      await shared(
        async () => {
          await client.set(storeKey, record, { expiration: { type: 'PX', value: Math.ceil(ttlMs) } });
        },
        () => local.setJson(key, value, ttlMs),
      );
    },
  } satisfies Partial<SharedState>;
}

/** Shared state in Redis, falling back per concern as the module comment describes. */
export function createRedisState(options: RedisStateOptions): SharedState {
  const redis = connectRedis(options);
  const context: Context = {
    redis,
    keys: keyNames(options.keyPrefix ?? 'fieldpass:'),
    sealer: createSealer(options.sealingKey),
    local: createMemoryState(),
  };
  return {
    ...tokenOperations(context),
    ...otherOperations(context),
    ping: () => redis.ping(),
    health: () => redis.health(),
    close: () => redis.close(),
  };
}
