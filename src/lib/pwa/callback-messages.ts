import { FieldpassError } from '../base/errors.js';
import type { Session } from '../oauth/session.js';
import type { FailedReply } from './refresh-messages.js';

// How the service worker finishes a sign-in: on the callback, the page's first script (an inline
// script in src/app.html, which runs while the HTML is still being parsed) posts CALLBACK_MESSAGE
// with the authorization response, this tab's mark and a MessagePort. The worker answers
// `accepted` at once, then `done` once the token set is stored, or `failed`. The code exchange
// thus starts before any of the app's modules have loaded, and runs inside the worker's event
// lifetime like a refresh. Every check is the page path's own: the worker runs completeSignIn.

export const CALLBACK_MESSAGE = 'fieldpass:callback';

/** Where a tab keeps its mark in sessionStorage (the inline script in src/app.html reads it too). */
export const TAB_KEY = 'fieldpass-tab';

export interface CallbackMessage {
  type: typeof CALLBACK_MESSAGE;
  /** The callback URL as the browser received it. */
  url: string;
  /** The mark of the tab the response arrived in; undefined without sessionStorage. */
  tab?: string;
}

export type CallbackReply =
  { accepted: true } | { done: true; session: Session; returnTo: string; storedAt: number } | FailedReply;

/** What the inline script leaves on `window` for the app: the response and the worker's answers. */
export interface EarlyCallback {
  url: string;
  /** Resolves once the worker has taken the message. */
  accepted: Promise<void>;
  /** The worker's final answer: `done` or `failed`. */
  answer: Promise<Exclude<CallbackReply, { accepted: true }>>;
}

/** A worker that does not know the message (an older version still in control) never accepts it. */
const ACCEPT_MS = 2_000;
/** Longer than an exchange can take: the request's own time-out, a nonce retry and the lock's queue. */
const DONE_MS = 60_000;

const after = <T>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(resolve, ms, value));

/**
 * The sign-in the worker is finishing for this tab. When the worker does not take the message in
 * time, nothing was done with the response, and `inPage` finishes it here instead.
 * `stored` is the time the token set was stored (ms since the epoch), for `npm run bench`.
 */
export async function callbackInWorker(
  early: EarlyCallback,
  inPage: () => Promise<{ session: Session; returnTo: string }>,
): Promise<{ session: Session; returnTo: string; storedAt?: number }> {
  const accepted = await Promise.race([early.accepted.then(() => true), after(ACCEPT_MS, false)]);
  if (!accepted) return inPage();
  const answer = await Promise.race([early.answer, after(DONE_MS, undefined)]);
  if (!answer) throw new FieldpassError('UNEXPECTED', 'The service worker did not finish the sign-in');
  if ('failed' in answer) throw new FieldpassError(answer.failed.code, answer.failed.message, answer.failed.details);
  return { session: answer.session, returnTo: answer.returnTo, storedAt: answer.storedAt };
}
