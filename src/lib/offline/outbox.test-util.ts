import { TEST_SERVER } from '../oauth/fake-fetch.test-util.js';
import type { Session } from '../oauth/session.js';

/** The scopes a technician who may create and change work orders holds. */
export const WRITE = 'read:work-orders write:work-orders';

/** A technician's stored session, updated at `at` and valid for an hour after it. */
export function outboxSession(at: number, overrides: Partial<Session> = {}): Session {
  return {
    server: TEST_SERVER,
    client_id: 'fieldpass',
    access_token: 'at-1',
    token_type: 'bearer',
    refresh_token: 'rt-1',
    expires_at: at + 3_600_000,
    expires_in: 3600,
    scope: WRITE,
    requested_scope: `openid ${WRITE}`,
    updated_at: at,
    user: { sub: 'tech-0042' },
    ...overrides,
  };
}
