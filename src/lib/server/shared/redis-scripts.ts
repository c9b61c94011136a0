// Lua scripts run by EVAL: each reads and writes its keys atomically.

/** Takes the lock only when free (as SET NX PX would), with the next fencing token from INCR, atomically. */
export const LOCK = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local fence = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], fence, 'PX', ARGV[1])
return fence`;

export const UNLOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** Stores the token unless a later lock holder exists (its fence is no longer the latest). */
export const PUT_TOKEN = `
if ARGV[3] ~= '' and redis.call('GET', KEYS[2]) ~= ARGV[3] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;

/** Deletes the token only if its record starts with the refused token's fingerprint. */
export const DROP_TOKEN = `
local record = redis.call('GET', KEYS[1])
if record and string.sub(record, 1, string.len(ARGV[1])) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * A fixed window: the first request starts it and sets its expiry, every request counts, and it
 * ends whole. Cheaper than a sliding window, at the price of up to twice the limit across a
 * window boundary. Returns { allowed, milliseconds left in the window }.
 */
export const TAKE = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
local left = redis.call('PTTL', KEYS[1])
if left < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]); left = tonumber(ARGV[2]) end
if count > tonumber(ARGV[1]) then return {0, left} end
return {1, left}`;
