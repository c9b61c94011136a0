// The environment three instances of the app share in the tests that run several of them: the
// e2e app's own, with one Redis and one sealing key (see cluster.js for starting them).

import { randomBytes } from 'node:crypto';
import { API_BASE_URL, ISSUER, M2M_ENV } from './harness';

/** The environment every instance shares: the e2e app's, with Redis and one sealing key. */
export function sharedEnvironment(redisUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PUBLIC_FENTU_ISSUER: ISSUER,
    PUBLIC_FENTU_CLIENT_ID: 'fieldpass',
    PUBLIC_FENTU_API_BASE_URL: API_BASE_URL,
    ...M2M_ENV,
    REDIS_URL: redisUrl,
    M2M_CACHE_KEY: randomBytes(32).toString('base64'),
    ...extra,
  };
}
