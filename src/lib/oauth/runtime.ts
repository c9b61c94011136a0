import type { HttpSettings } from '../base/http.js';
import type { Lock } from '../base/lock.js';
import type { RecordStore } from '../base/record-store.js';

/** What every core function is given instead of reaching for globals, so tests can substitute it. */
export interface CoreRuntime extends HttpSettings {
  store: RecordStore;
  /** Milliseconds since the epoch. */
  now?: () => number;
  /** Cross-tab mutual exclusion; defaults to Web Locks, or an in-memory queue where they are missing. */
  lock?: Lock;
  /** Told whenever the stored token set is written or removed, so other tabs can follow (no tokens in it). */
  onChange?: (change: SessionChange) => void;
  /**
   * Has a refresh performed elsewhere (the service worker, whose event lifetime no page gesture
   * can cut short): resolves true once it is done and stored, false when nothing else can do it
   * and it must happen here; rejects with the refresh's own failure.
   */
  refreshElsewhere?: (request: RefreshRequest) => Promise<boolean>;
  /**
   * This browser tab's own random mark: a sign-in completes only in the tab that started it. A
   * promise when the mark arrives after the response (the service worker, which starts the code
   * exchange as the callback is requested): nothing is stored until it has arrived and matches.
   */
  tab?: string | Promise<string | undefined>;
}

/** What a refresh is asked to do: `rejectedAccessToken` is one the API just refused. */
export interface RefreshRequest {
  rejectedAccessToken?: string;
  ignoreBackoff?: boolean;
}

/** What happened to the stored token set. */
export type SessionChange =
  | { kind: 'stored' }
  | { kind: 'signed-out' }
  /** The server ended the session; `code` and `reason` say why, for the other tabs' message. */
  | { kind: 'ended'; code: string; reason?: string };

export function nowOf(runtime: CoreRuntime): number {
  return runtime.now?.() ?? Date.now();
}
