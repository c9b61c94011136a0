import type { Session } from '../oauth/session.js';
import { completeSignIn } from '../oauth/sign-in.js';
import { callbackInWorker } from '../pwa/callback-messages.js';
import { browserRuntime } from './runtime.js';

/** The User Timing mark set once the token set is stored, for `npm run bench` (no token in it). */
const STORED_MARK = 'fieldpass:tokens-stored';

let exchange: Promise<{ session: Session; returnTo: string; storedAt?: number }> | undefined;

/**
 * On the callback with an authorization response, starts finishing the sign-in at once: called
 * from the client `init` hook, before SvelteKit reads the address or loads any page. With a
 * service worker in control, app.html's inline script has already handed the response to it (the
 * worker began the exchange as the page was requested) and cleared the address bar; this takes
 * the worker's answer, or finishes here if that worker does not know the message. Without one,
 * the response leaves the address bar and history (RFC 9700 §4.2.4) and the exchange runs here.
 * SvelteKit's router has not started, so nothing can conflict: the History prototype's own method
 * is called (the development server wraps the instance's to warn about later conflicts), and it
 * keeps whatever SvelteKit keeps in history.state.
 */
export function beginCallback(): void {
  if (location.pathname !== '/callback') return;
  const early = window.fieldpassCallback;
  delete window.fieldpassCallback;
  if (early) {
    exchange = callbackInWorker(early, () => completeSignIn(early.url, browserRuntime()));
  } else if (location.search) {
    const received = location.href;
    History.prototype.replaceState.call(history, history.state, '', '/callback');
    exchange = completeSignIn(received, browserRuntime());
  } else return;
  exchange.then(
    // The worker says when it stored the token set; the page's clock counts from its navigation.
    ({ storedAt }) =>
      performance.mark(STORED_MARK, storedAt ? { startTime: storedAt - performance.timeOrigin } : undefined),
    () => undefined, // the callback page shows the failure
  );
}

/** The sign-in `beginCallback` started on this page load, handed over once; undefined when none. */
export function takeCallback(): typeof exchange {
  const started = exchange;
  exchange = undefined;
  return started;
}
