/** A cached service token and the moment (epoch milliseconds) it stops being used. */
export interface CachedToken {
  value: string;
  expiresAt: number;
}

/** "Make no calls until `until` (epoch milliseconds)", and what to tell callers meanwhile. */
export interface Hold {
  until: number;
  code: string;
}

/** The answer of a rate limit: whether this request may go ahead, and if not, when to try again. */
export interface RateDecision {
  allowed: boolean;
  /** 0 when allowed; otherwise the whole seconds until the window frees a request (at least 1). */
  retryAfterSeconds: number;
}

/** Whether the state is shared between instances right now, for readiness checks. */
export interface StateHealth {
  kind: 'memory' | 'redis';
  /** False while Redis is unreachable and this instance runs on its own memory. */
  shared: boolean;
}

/**
 * The state the server keeps between requests: service tokens, the lock that lets one instance
 * request a token, holds after a partner's Retry-After, rate-limit windows, one-time keys and a
 * short-lived cache. Per process (`createMemoryState`) or shared by every instance through Redis
 * (`createRedisState`). Keys are plain names such as `token:fenergo`; each store adds its prefix.
 */
export interface SharedState {
  /** The cached token under `key`, if any and not past its `expiresAt`; a record that does not open reads as a miss. */
  getToken(key: string): Promise<CachedToken | undefined>;
  /**
   * Caches a token until its `expiresAt`. With `fence` (from `lock`), only while no later lock was
   * taken for the same key, so a leader that lost its lock cannot overwrite a newer token. True when stored.
   */
  putToken(key: string, token: CachedToken, fence?: number): Promise<boolean>;
  /** Deletes the token under `key` only if it is still `value` (compare-and-delete); true when this call deleted it. */
  dropTokenIf(key: string, value: string): Promise<boolean>;
  /** Takes the lock on `key` for `ttlMs`: a fencing token (rising per key) when taken, undefined when held by another. */
  lock(key: string, ttlMs: number): Promise<number | undefined>;
  /** Releases the lock if `fence` still holds it. */
  unlock(key: string, fence: number): Promise<void>;
  /** The hold on `key`, if one is in force. */
  getHold(key: string): Promise<Hold | undefined>;
  /** Sets a hold; it lapses by itself at `hold.until`. */
  setHold(key: string, hold: Hold): Promise<void>;
  /** Counts one request against `limit` per `windowMs` (a fixed window starting at the first request). */
  take(key: string, limit: number, windowMs: number): Promise<RateDecision>;
  /** True the first time `key` is used within `ttlMs`, false on every later use (replay detection). */
  firstUse(key: string, ttlMs: number): Promise<boolean>;
  /** A value stored with `setJson`, if not expired. */
  getJson<T>(key: string): Promise<T | undefined>;
  /** Stores a JSON-serialisable value for `ttlMs`. */
  setJson(key: string, value: unknown, ttlMs: number): Promise<void>;
  /** True when the store answers (Redis: a PING round trip). */
  ping(): Promise<boolean>;
  /** Whether the state is currently shared, without a round trip. */
  health(): StateHealth;
  /** Closes connections; the state must not be used afterwards. */
  close(): Promise<void>;
}

/** The shared store cannot answer and the operation must not fall back to one instance's memory. */
export class SharedStateUnavailableError extends Error {
  readonly code = 'SHARED_STATE_UNAVAILABLE';

  constructor(options: { cause?: unknown } = {}) {
    super('The shared state store is temporarily unavailable.', options);
    this.name = 'SharedStateUnavailableError';
  }
}
