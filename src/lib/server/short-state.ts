// Short-lived server state for checking callers: answers worth keeping for seconds, and proofs
// already used. Two small interfaces, so a store shared by several server instances can stand in
// for the in-memory ones here without the caller checks changing.

/** JSON values kept for a bounded time. `getJson` answers undefined once the time is up. */
export interface ShortCache {
  getJson(key: string): Promise<unknown | undefined>;
  setJson(key: string, value: unknown, ttlMs: number): Promise<void>;
}

/** Remembers keys for a while: true the first time a key is seen within its time, false after. */
export interface ReplayGuard {
  firstUse(key: string, ttlMs: number): Promise<boolean>;
}

export interface MemoryStateOptions {
  /** The most entries kept; past it the oldest go first. */
  maxEntries?: number;
  /** Epoch milliseconds; tests pass a fake clock. */
  now?: () => number;
}

const DEFAULT_MAX_ENTRIES = 10_000;

/** A Map with an expiry per entry: expired entries are swept, and every write cuts it to size. */
function boundedMap<V>(options: MemoryStateOptions) {
  const max = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const now = options.now ?? Date.now;
  const entries = new Map<string, { value: V; expiresAt: number }>();
  let sweptAt = -Infinity;
  const sweep = () => {
    const at = now();
    // Expired entries go at most once a second, so a busy write path is not a loop over them all.
    if (at - sweptAt >= 1_000) {
      sweptAt = at;
      for (const [key, entry] of entries) if (entry.expiresAt <= at) entries.delete(key);
    }
    // A Map iterates in insertion order: the first keys are the oldest.
    for (const key of entries.keys()) {
      if (entries.size <= max) break;
      entries.delete(key);
    }
  };
  return {
    entries,
    get(key: string): V | undefined {
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (entry.expiresAt > now()) return entry.value;
      entries.delete(key);
      return undefined;
    },
    set(key: string, value: V, ttlMs: number) {
      entries.delete(key);
      entries.set(key, { value, expiresAt: now() + ttlMs });
      sweep();
    },
  };
}

/** An in-memory ShortCache for one server process. Values are copied in and out, as a shared store would. */
export function createMemoryShortCache(options: MemoryStateOptions = {}): ShortCache & { readonly size: number } {
  const map = boundedMap<string>(options);
  return {
    get size() {
      return map.entries.size;
    },
    async getJson(key) {
      const text = map.get(key);
      return text === undefined ? undefined : JSON.parse(text);
    },
    async setJson(key, value, ttlMs) {
      if (ttlMs > 0) map.set(key, JSON.stringify(value), ttlMs);
    },
  };
}

/**
 * An in-memory ReplayGuard for one server process. When it is full, the oldest keys are forgotten
 * first; keep `maxEntries` above the number of proofs accepted in one acceptance window.
 */
export function createMemoryReplayGuard(options: MemoryStateOptions = {}): ReplayGuard & { readonly size: number } {
  const map = boundedMap<true>(options);
  return {
    get size() {
      return map.entries.size;
    },
    async firstUse(key, ttlMs) {
      if (map.get(key)) return false;
      map.set(key, true, Math.max(ttlMs, 1));
      return true;
    },
  };
}
