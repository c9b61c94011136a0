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
import { createClient, ErrorReply } from 'redis';
import { createMemoryState } from './memory-state.js';
import { createSealer } from './seal.js';
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

/** Takes the lock only when free (as SET NX PX would), with the next fencing token from INCR, atomically. */
const LOCK = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local fence = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], fence, 'PX', ARGV[1])
return fence`;

const UNLOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** Stores the token unless a later lock holder exists (its fence is no longer the latest). */
const PUT_TOKEN = `
if ARGV[3] ~= '' and redis.call('GET', KEYS[2]) ~= ARGV[3] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;

/** Deletes the token only if its record starts with the refused token's fingerprint. */
const DROP_TOKEN = `
local record = redis.call('GET', KEYS[1])
if record and string.sub(record, 1, string.len(ARGV[1])) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * A fixed window: the first request starts it and sets its expiry, every request counts, and it
 * ends whole. Cheaper than a sliding window, at the price of up to twice the limit across a
 * window boundary. Returns { allowed, milliseconds left in the window }.
 */
const TAKE = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
local left = redis.call('PTTL', KEYS[1])
if left < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]); left = tonumber(ARGV[2]) end
if count > tonumber(ARGV[1]) then return {0, left} end
return {1, left}`;

/** The URL without credentials, path or query, for the log. */
function describeTarget(url: string): string {
  try {
    const { protocol, hostname, port } = new URL(url);
    return `${protocol}//${hostname}:${port || '6379'}`;
  } catch {
    return 'redis';
  }
}

/** Logs the start and the end of an outage, once each. */
function outageLog(target: string, warn: (line: string) => void) {
  let down = false;
  const line = (event: string, extra: object) => warn(JSON.stringify({ level: 'warn', event, target, ...extra }));
  return {
    down(err: unknown): void {
      if (down) return;
      down = true;
      // An error code or class name only: a message may quote the URL.
      const reason = (err as { code?: string })?.code ?? (err as object)?.constructor?.name ?? 'unknown';
      line('shared_state_unavailable', {
        reason,
        fallback: 'tokens, locks, holds and rate limits per instance; one-time keys refused',
      });
    },
    up(): void {
      if (!down) return;
      down = false;
      line('shared_state_recovered', {});
    },
  };
}

/** Shared state in Redis, falling back per concern as the module comment describes. */
export function createRedisState(options: RedisStateOptions): SharedState {
  const prefix = options.keyPrefix ?? 'fieldpass:';
  const sealer = createSealer(options.sealingKey);
  const local = createMemoryState();
  const outage = outageLog(describeTarget(options.url), options.warn ?? ((line) => console.warn(line)));
  // node-redis, the client Redis itself maintains: typed, reconnects on its own, runs Lua.
  // (ioredis is in maintenance mode.)
  const client = createClient({
    url: options.url,
    // Fail at once while disconnected, so callers fall back instead of waiting in a queue.
    disableOfflineQueue: true,
    socket: { connectTimeout: 2000, reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 2000) },
  });
  client.on('error', (err) => outage.down(err));
  client.on('ready', () => outage.up());
  // Not awaited: until Redis answers, every operation falls back as described above.
  client.connect().catch(() => undefined);

  const keys = {
    // Hash tags keep a token, its lock and its fence in one slot, as a Redis Cluster script needs.
    token: (key: string) => `${prefix}token:{${key}}`,
    lock: (key: string) => `${prefix}lock:{${key}}`,
    fence: (key: string) => `${prefix}fence:{${key}}`,
    hold: (key: string) => `${prefix}hold:${key}`,
    rate: (key: string) => `${prefix}rate:${key}`,
    once: (key: string) => `${prefix}once:${key}`,
    json: (key: string) => `${prefix}json:${key}`,
  };

  const timeoutMs = options.commandTimeoutMs ?? 500;
  /** After a command timed out, Redis is not asked again for a second, so callers are not each held up. */
  let skipUntil = 0;

  /**
   * Runs `work` on Redis; while it is unreachable, `fallback` instead. node-redis times a command
   * out only while it waits to be sent, so the wait for the answer is bounded here. A script error
   * is a defect, not an outage, and is thrown.
   */
  async function shared<T>(work: () => Promise<T>, fallback: () => T | Promise<T>): Promise<T> {
    if (!client.isReady || Date.now() < skipUntil) return fallback();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(Object.assign(new Error('Redis did not answer in time'), { code: 'TIMEOUT' })),
        timeoutMs,
      );
    });
    try {
      const result = await Promise.race([work(), timeout]);
      outage.up();
      return result;
    } catch (err) {
      if (err instanceof ErrorReply) throw err;
      if ((err as { code?: string }).code === 'TIMEOUT') skipUntil = Date.now() + 1000;
      outage.down(err);
      return fallback();
    } finally {
      clearTimeout(timer);
    }
  }

  const run = (script: string, keyNames: string[], args: (string | number)[]) =>
    client.eval(script, { keys: keyNames, arguments: args.map(String) });

  function openToken(record: string | null, storeKey: string): CachedToken | undefined {
    const sealed = record?.slice(record.indexOf('.') + 1);
    const text = sealed && sealer.open(sealed, storeKey);
    if (!text) return undefined;
    const token = JSON.parse(text) as CachedToken;
    return Date.now() < token.expiresAt ? token : undefined;
  }

  return {
    getToken(key) {
      const storeKey = keys.token(key);
      return shared(
        async () => openToken(await client.get(storeKey), storeKey),
        () => local.getToken(key),
      );
    },
    putToken(key, token, fence) {
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
    lock(key, ttlMs) {
      return shared(
        async () => Number(await run(LOCK, [keys.lock(key), keys.fence(key)], [Math.ceil(ttlMs)])) || undefined,
        () => local.lock(key, ttlMs),
      );
    },
    async unlock(key, fence) {
      await local.unlock(key, fence);
      await shared(
        async () => {
          await run(UNLOCK, [keys.lock(key)], [fence]);
        },
        () => undefined,
      );
    },
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
    async ping() {
      if (!client.isReady) return false;
      return client.ping().then(
        (answer) => answer === 'PONG',
        () => false,
      );
    },
    health() {
      return { kind: 'redis', shared: client.isReady };
    },
    async close() {
      // A client still reconnecting would wait for Redis to close politely; it is dropped instead.
      if (client.isReady) await client.close();
      else if (client.isOpen) client.destroy();
    },
  };
}
