import { callApi, type ApiRequest, type ApiResult } from '../oauth/api.js';
import { asFieldpassError, type FieldpassError } from '../oauth/errors.js';
import {
  ensureFreshSession,
  getSession,
  refreshMargin,
  signOut,
  type Session,
  type SignOutResult,
} from '../oauth/session.js';
import { browserRuntime } from './runtime.js';

/** How long to wait before trying a failed refresh again while the session is kept. */
const RETRY_MS = 30_000;

type Status = 'loading' | 'signed-out' | 'signed-in';

/** The session as the UI sees it: loaded from IndexedDB, kept fresh, ended on `invalid_grant`. */
class SessionState {
  status = $state<Status>('loading');
  session = $state.raw<Session | undefined>(undefined);
  /** Why the last automatic step failed: an ended session, or a refresh that will be retried. */
  problem = $state.raw<FieldpassError | undefined>(undefined);
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** Reads the stored session and refreshes it if it is due (no redirect needed after days away). */
  async load(): Promise<void> {
    try {
      const stored = await getSession(browserRuntime());
      if (!stored) return this.#end(undefined);
      this.session = stored;
      this.status = 'signed-in';
      await this.keepFresh();
    } catch (err) {
      this.problem = asFieldpassError(err);
      if (!this.session) this.status = 'signed-out';
    }
  }

  /** Takes a session that sign-in just stored. */
  adopt(session: Session): void {
    this.session = session;
    this.status = 'signed-in';
    this.problem = undefined;
    this.#schedule();
  }

  /** Refreshes the access token if it is due; keeps the session on transient failures. */
  async keepFresh(): Promise<void> {
    if (this.status !== 'signed-in') return;
    try {
      this.session = await ensureFreshSession(browserRuntime());
      this.problem = undefined;
      this.#schedule();
    } catch (err) {
      this.#fail(asFieldpassError(err));
    }
  }

  /** Calls the API, ending the session if the server says it is over. */
  async api<T>(baseUrl: string, request: ApiRequest): Promise<ApiResult<T>> {
    try {
      const result = await callApi<T>(baseUrl, request, browserRuntime());
      this.session = (await getSession(browserRuntime())) ?? this.session;
      this.#schedule();
      return result;
    } catch (err) {
      const failure = asFieldpassError(err);
      if (failure.code === 'SESSION_ENDED' || failure.code === 'NOT_SIGNED_IN') this.#end(failure);
      throw failure;
    }
  }

  async signOut(): Promise<SignOutResult> {
    clearTimeout(this.#timer);
    const result = await signOut(browserRuntime());
    this.#end(undefined);
    return result;
  }

  #fail(failure: FieldpassError): void {
    if (failure.code === 'SESSION_ENDED' || failure.code === 'NOT_SIGNED_IN') return this.#end(failure);
    this.problem = failure;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.keepFresh(), RETRY_MS);
  }

  #end(reason: FieldpassError | undefined): void {
    clearTimeout(this.#timer);
    this.session = undefined;
    this.status = 'signed-out';
    this.problem = reason;
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    if (!this.session) return;
    // Timers stall in sleeping tabs; the layout also calls keepFresh() when the tab comes back.
    const delay = this.session.expires_at - refreshMargin(this.session) - Date.now();
    this.#timer = setTimeout(() => void this.keepFresh(), Math.max(delay, 1_000));
  }
}

export const sessionState = new SessionState();
