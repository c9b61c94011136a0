import { attemptKeyName } from './dpop.js';
import type { CoreRuntime } from './runtime.js';

/** IndexedDB key prefix of pending sign-in attempts; the rest of the key is the `state`. */
export const PENDING_PREFIX = 'pending:';

/** Deletes every pending sign-in attempt: a new attempt or a sign-out makes them all void. */
export async function discardPendingAttempts(runtime: CoreRuntime): Promise<void> {
  for (const key of await runtime.store.keys()) {
    if (!key.startsWith(PENDING_PREFIX)) continue;
    await runtime.store.del(key);
    // The attempt's own DPoP key (see startSignIn) goes with it; one whose callback is being
    // finished (its record already taken) keeps its key.
    await runtime.store.del(attemptKeyName(key.slice(PENDING_PREFIX.length)));
  }
}
