import { completeSignIn } from '../oauth/sign-in.js';
import type { Session } from '../oauth/session.js';
import { browserRuntime } from './runtime.js';

/** The User Timing mark set once the token set is stored, for `npm run bench` (no token in it). */
const STORED_MARK = 'fieldpass:tokens-stored';

let exchange: Promise<{ session: Session; returnTo: string }> | undefined;

/**
 * On the callback with an authorization response, starts finishing the sign-in at once: called
 * from the client `init` hook, before SvelteKit reads the address or loads any page, so the code
 * exchange does not wait for the page's UI. The response leaves the address bar and history
 * before anything else happens (RFC 9700 §4.2.4), and SvelteKit never sees it to write it back.
 * SvelteKit's router has not started, so nothing can conflict: the History prototype's own method
 * is called (the development server wraps the instance's to warn about later conflicts), and it
 * keeps whatever SvelteKit keeps in history.state.
 */
export function beginCallback(): void {
  if (location.pathname !== '/callback' || !location.search) return;
  const received = location.href;
  History.prototype.replaceState.call(history, history.state, '', '/callback');
  exchange = completeSignIn(received, browserRuntime());
  exchange.then(
    () => performance.mark(STORED_MARK),
    () => undefined, // the callback page shows the failure
  );
}

/** The sign-in `beginCallback` started on this page load, handed over once; undefined when none. */
export function takeCallback(): typeof exchange {
  const started = exchange;
  exchange = undefined;
  return started;
}
