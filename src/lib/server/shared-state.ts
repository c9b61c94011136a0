/** State kept between requests, per process or shared by every instance through Redis. */
export type { CachedToken, Hold, RateDecision, SharedState, StateHealth } from './shared/state.js';
export { SharedStateUnavailableError } from './shared/state.js';
export { createMemoryState } from './shared/memory-state.js';
export { createRedisState, type RedisStateOptions } from './shared/redis-state.js';
