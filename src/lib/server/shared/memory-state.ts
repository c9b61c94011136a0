import type { CachedToken, Hold, RateDecision, SharedState } from './state.js';

/** Entries are swept for expiry once this many writes have happened since the last sweep. */
const SWEEP_EVERY = 1000;

/** A Map whose entries lapse at their own deadline, read against the injected clock. */
function expiringMap<V>(now: () => number) {
  const entries = new Map<string, { value: V; until: number }>();
  let writes = 0;
  return {
    get(key: string): V | undefined {
      const entry = entries.get(key);
      if (entry && now() < entry.until) return entry.value;
      if (entry) entries.delete(key);
      return undefined;
    },
    set(key: string, value: V, until: number): void {
      entries.set(key, { value, until });
      if (++writes < SWEEP_EVERY) return;
      writes = 0;
      for (const [k, entry] of entries) if (now() >= entry.until) entries.delete(k);
    },
    delete(key: string): void {
      entries.delete(key);
    },
  };
}

/**
 * State kept in this process only: the behaviour of a single instance, and the fallback of the
 * Redis state while Redis is unreachable. `now` is the clock every expiry is read against.
 */
export function createMemoryState(now: () => number = Date.now): SharedState {
  const tokens = expiringMap<CachedToken>(now);
  const locks = expiringMap<number>(now);
  const fences = new Map<string, number>();
  const holds = expiringMap<Hold>(now);
  const windows = expiringMap<{ count: number; end: number }>(now);
  const used = expiringMap<true>(now);
  const json = expiringMap<string>(now);

  return {
    async getToken(key) {
      return tokens.get(key);
    },
    async putToken(key, token, fence) {
      if (fence !== undefined && fences.get(key) !== fence) return false;
      tokens.set(key, { ...token }, token.expiresAt);
      return true;
    },
    async dropTokenIf(key, value) {
      if (tokens.get(key)?.value !== value) return false;
      tokens.delete(key);
      return true;
    },
    async lock(key, ttlMs) {
      if (locks.get(key) !== undefined) return undefined;
      const fence = (fences.get(key) ?? 0) + 1;
      fences.set(key, fence);
      locks.set(key, fence, now() + ttlMs);
      return fence;
    },
    async unlock(key, fence) {
      if (locks.get(key) === fence) locks.delete(key);
    },
    async getHold(key) {
      return holds.get(key);
    },
    async setHold(key, hold) {
      holds.set(key, { ...hold }, hold.until);
    },
    async take(key, limit, windowMs): Promise<RateDecision> {
      let window = windows.get(key);
      if (!window) {
        window = { count: 0, end: now() + windowMs };
        windows.set(key, window, window.end);
      }
      window.count += 1;
      if (window.count <= limit) return { allowed: true, retryAfterSeconds: 0 };
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((window.end - now()) / 1000)) };
    },
    async firstUse(key, ttlMs) {
      if (used.get(key)) return false;
      used.set(key, true, now() + ttlMs);
      return true;
    },
    async getJson<T>(key: string) {
      const text = json.get(key);
      return text === undefined ? undefined : (JSON.parse(text) as T);
    },
    async setJson(key, value, ttlMs) {
      json.set(key, JSON.stringify(value), now() + ttlMs);
    },
    async ping() {
      return true;
    },
    health() {
      return { kind: 'memory', shared: false };
    },
    async close() {},
  };
}
