import type { Session, SignOutResult } from '../oauth/session.js';
import { offlineUserKey } from '../offline/cache.js';
import { browserRuntime } from './runtime.js';

/** The context key under which the app's layout offers its sign-out (with the unsent-work guard). */
export const SIGN_OUT = Symbol('sign-out');

/** The layout's sign-out, as pages call it. */
export type SignOut = () => Promise<void>;

/** Work orders and status changes on this device that have not reached Fentu yet. */
export interface Unsent {
  orders: number;
  changes: number;
  /** Of those, the ones saved by someone else who was signed in here before (never sent as this user). */
  others: number;
}

/**
 * Counts what a sign-out would delete unsent, every user's; undefined when it cannot be counted
 * (offline before the app was cached, storage refused).
 */
export async function countUnsent(session: Session | undefined): Promise<Unsent | undefined> {
  const user = session ? await offlineUserKey(session) : undefined;
  // Loaded only at sign-out: pages without the outbox (consent, callback) do not carry its code.
  return import('../offline/outbox-items.js')
    .then(async ({ countUnsent: count }) => {
      const store = browserRuntime().store;
      const [orders, changes] = await Promise.all([count(store), count(store, undefined, 'status')]);
      const mine = user ? (await count(store, user)) + (await count(store, user, 'status')) : 0;
      return { orders, changes, others: orders + changes - mine };
    })
    .catch(() => undefined);
}

/** The start page's notice after a sign-out: what the server could be told (see the home page's NOTICES). */
export function signOutNotice(result: SignOutResult): string {
  return result.revoked ? 'signed-out' : `signed-out-${result.problem}`;
}
