import {
  FieldpassError,
  isFieldpassError,
  type FieldpassErrorCode,
  type FieldpassErrorDetails,
} from '../base/errors.js';
import type { RefreshRequest } from '../oauth/runtime.js';

// How a page has the service worker refresh the token set: the page posts REFRESH_MESSAGE with a
// MessagePort, the worker answers `accepted` at once and `done` or `failed` when the refresh is
// stored or has failed. The refresh runs inside the worker's event, so a reload, a closed tab or
// a discarded page cannot drop the answer that carries the rotated refresh token.

export const REFRESH_MESSAGE = 'fieldpass:refresh';

export interface RefreshMessage extends RefreshRequest {
  type: typeof REFRESH_MESSAGE;
}

/** A failure as it crosses postMessage: an Error's class does not survive structured cloning. */
export interface FailedReply {
  failed: { code: FieldpassErrorCode; message: string; details: FieldpassErrorDetails };
}

export type RefreshReply = { accepted: true } | { done: true } | FailedReply;

/** A refresh's or a sign-in's failure, ready for postMessage. */
export function failedReply(err: unknown): FailedReply {
  const failure = isFieldpassError(err) ? err : new FieldpassError('UNEXPECTED', String(err));
  return { failed: { code: failure.code, message: failure.message, details: failure.details } };
}

/** A worker that does not know the message (an older version still in control) never accepts it. */
const ACCEPT_MS = 2_000;
/** Longer than a refresh can take: the request's own time-out, a nonce retry and the lock's queue. */
const DONE_MS = 60_000;

/**
 * Asks the service worker that controls this page to refresh the token set. Resolves true once
 * the refreshed set is stored, false when no worker controls the page or none answers in time
 * (the caller then refreshes in the page, under the same lock); rejects with the refresh's failure.
 */
export function refreshInWorker(request: RefreshRequest): Promise<boolean> {
  const worker = globalThis.navigator?.serviceWorker?.controller;
  if (!worker) return Promise.resolve(false);
  return new Promise((resolve, reject) => {
    const { port1, port2 } = new MessageChannel();
    const settle = (done: () => void) => {
      clearTimeout(timer);
      port1.close();
      done();
    };
    let timer = setTimeout(() => settle(() => resolve(false)), ACCEPT_MS);
    port1.onmessage = ({ data }: MessageEvent<RefreshReply>) => {
      if ('accepted' in data) {
        clearTimeout(timer);
        timer = setTimeout(() => settle(() => resolve(false)), DONE_MS);
      } else if ('done' in data) settle(() => resolve(true));
      else settle(() => reject(new FieldpassError(data.failed.code, data.failed.message, data.failed.details)));
    };
    worker.postMessage({ type: REFRESH_MESSAGE, ...request } satisfies RefreshMessage, [port2]);
  });
}
