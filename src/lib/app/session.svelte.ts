import { callApi, type ApiRequest, type ApiResult } from '../oauth/api.js';
import type { ServerEndpoints } from '../oauth/authorization-server.js';
import type { ClientConfig } from '../oauth/config.js';
import { asFieldpassError, FieldpassError, type FieldpassErrorCode } from '../base/errors.js';
import type { SessionChange } from '../oauth/runtime.js';
import {
  ensureFreshSession,
  getSession,
  grantedScopes,
  refreshMargin,
  refreshRetryDelay,
  retryRevocations,
  signOut,
  type Session,
} from '../oauth/session.js';
import { clearOfflineData } from '../offline/cache.js';
import { clientConfig } from './config.js';
import { forgetSignIn, recordSignIn } from './device.js';
import { safeReturnTo } from '../oauth/return-to.js';
import { grants } from '../oauth/scopes.js';
import { userIdentity } from '../base/user.js';
import { startSignIn } from '../oauth/sign-in.js';
import { browserRuntime, onSessionChange } from './runtime.js';
import { countUnsent, signOutNotice, type Unsent } from './sign-out.js';

type Status = 'loading' | 'signed-out' | 'signed-in';

/** Why the app looks again: the device came back online, or the tab to the front. */
export type Wake = 'online' | 'visible';

const ENDED: readonly FieldpassErrorCode[] = ['SESSION_ENDED', 'NOT_SIGNED_IN'];

/** What a new authorization request needs when the session is gone: where it was, and what it asked for. */
interface LastSignIn {
  server: ServerEndpoints;
  clientId: string;
  scopes: string[];
}

/**
 * Calls `lead` once this tab holds the timer lock, which it keeps until it closes: one tab per
 * browser keeps the proactive refresh timer, and the next takes over when it goes. Without Web
 * Locks every tab leads.
 */
function whenTimerLeader(lead: () => void): void {
  const locks = globalThis.navigator?.locks;
  if (!locks) return lead();
  void locks.request('fieldpass-refresh-timer', () => {
    lead();
    return new Promise<never>(() => {});
  });
}

/**
 * The session as the UI sees it: loaded from IndexedDB, kept fresh on a timer and whenever the
 * tab wakes or the device comes back online, retried with back-off while the server cannot be
 * reached, and ended — in every tab, once — when the server says it is over. It owns the flows
 * that change it: signing in, signing out, and the device's note that a sign-in is stored here.
 */
class SessionState {
  status = $state<Status>('loading');
  session = $state.raw<Session | undefined>(undefined);
  /** Why the last automatic step failed: an ended session, or a refresh that will be retried. */
  problem = $state.raw<FieldpassError | undefined>(undefined);
  /** When the next refresh attempt is due after a failure (epoch ms); undefined when none is waiting. */
  retryAt = $state<number | undefined>(undefined);
  /** What the browser says about the network. */
  online = $state(true);
  /** True from the moment a sign-out is confirmed until it is done. */
  signingOut = $state(false);
  /** The scopes the session was granted; empty when signed out. */
  granted = $derived(this.session ? grantedScopes(this.session) : []);
  /** The last session's server and scopes, so "Sign in again" can go straight to the server. */
  lastSignIn = $state.raw<LastSignIn | undefined>(undefined);
  /** Who is signed in (issuer and `sub`), '' when no one: what is shown and kept per user follows it. */
  who = $derived(this.session ? userIdentity(this.session) : '');
  #timer: ReturnType<typeof setTimeout> | undefined;
  #listening = false;
  #wakeListeners = new Set<(wake: Wake) => void>();
  /**
   * Whether this page load noted on the device that a sign-in is stored here (see device.ts). Set
   * once a session is shown; cleared whenever the app removes the session itself. A session the
   * browser deleted is never shown, so its note stays and the eviction notice can say so.
   */
  #noted = false;
  /** The last request clearing that note, for a sign-out to wait for. */
  #forgetting: Promise<unknown> = Promise.resolve();
  /** True in the one tab that keeps the refresh timers; the others follow its broadcasts. */
  #leader = false;
  /** Counts sign-outs and ends, so a read that started before one cannot bring the session back. */
  #generation = 0;

  /**
   * Reads the stored session and refreshes it if it is due (no redirect needed after days away).
   * A session for another issuer or client than the one configured now is signed out (#61), and
   * the device's sign-in note is cleared before the page learns it is signed out, so that is not
   * taken for storage the browser deleted.
   */
  async load(): Promise<void> {
    this.#listen();
    this.#sendRevocations();
    try {
      const stored = await getSession(browserRuntime());
      if (!stored) return this.#end(this.status === 'signed-out' ? this.problem : undefined);
      if (!madeForConfig(stored)) {
        await this.#forget();
        await signOut(browserRuntime());
        return this.#end(undefined);
      }
      this.#show(stored);
      await this.keepFresh();
    } catch (err) {
      this.problem = asFieldpassError(err);
      if (!this.session) this.status = 'signed-out';
    }
  }

  /**
   * Finishes a sign-in once the callback's code exchange has stored its session (see
   * beginCallback): shows it, so the next page has the user signed in from its first frame (and
   * screen readers announce that page). Returns the page to go back to.
   */
  finishSignIn(signedIn: { session: Session; returnTo: string }): string {
    this.#listen();
    this.#show(signedIn.session);
    this.problem = undefined;
    this.#schedule();
    return signedIn.returnTo;
  }

  /**
   * Refreshes the access token if it is due; keeps the session on transient failures and retries
   * later. `now` skips the back-off wait: the device is back online or the tab visible again.
   */
  async keepFresh(now = false): Promise<void> {
    if (this.status !== 'signed-in') return;
    try {
      this.#show(await ensureFreshSession(browserRuntime(), undefined, { ignoreBackoff: now }));
      this.problem = undefined;
      this.retryAt = undefined;
      this.#schedule();
    } catch (err) {
      await this.#fail(asFieldpassError(err));
    }
  }

  /**
   * The network came or went, or the tab was shown or hidden: timers stall in sleeping tabs and on
   * sleeping tablets, so the token is checked now, and whoever listens (the outbox) is told.
   */
  #wake(event: Event): void {
    this.online = navigator.onLine;
    if (this.online) this.#sendRevocations();
    const visible = document.visibilityState === 'visible';
    if (this.online && visible) void this.keepFresh(true);
    const wake =
      event.type === 'online' ? 'online' : event.type === 'visibilitychange' && visible ? 'visible' : undefined;
    if (wake) this.#wakeListeners.forEach((listener) => listener(wake));
  }

  /** Calls `listener` whenever the device comes back online or the tab to the front. Returns the unsubscribe. */
  onWake(listener: (wake: Wake) => void): () => void {
    this.#listen();
    this.#wakeListeners.add(listener);
    return () => this.#wakeListeners.delete(listener);
  }

  /** Tells the server about sign-outs it could not be reached for. */
  #sendRevocations(): void {
    retryRevocations(browserRuntime()).catch((err: unknown) => console.warn('[fieldpass]', err));
  }

  /** Whether the session was granted `scope` (or `admin`, which covers every scope). */
  hasScope(scope: string): boolean {
    const granted = this.session ? grantedScopes(this.session) : [];
    return grants(granted, scope);
  }

  /** Calls the API, ending the session if the server says it is over. */
  async api<T>(baseUrl: string, request: ApiRequest): Promise<ApiResult<T>> {
    try {
      const result = await callApi<T>(baseUrl, request, browserRuntime());
      const stored = await getSession(browserRuntime());
      if (stored) this.#show(stored);
      this.#schedule();
      return result;
    } catch (err) {
      const failure = asFieldpassError(err);
      if (ENDED.includes(failure.code)) this.#end(failure);
      throw failure;
    }
  }

  /**
   * Starts a sign-in from the consent screen: an authorization request at `server` (see
   * authorizationServer in consent.ts) for `scopes`, which comes back to `returnTo` (a path on this
   * origin; anything else goes home).
   */
  async beginSignIn(options: { server: ServerEndpoints; scopes: string[]; returnTo: string | null }): Promise<void> {
    await this.#redirect(options.server, configured().clientId, options.scopes, options.returnTo);
  }

  /**
   * Starts a new authorization request straight at the server, without the consent screen: for
   * one more scope (incremental consent: what is granted plus `scope`), or to sign in again with
   * the same scopes after the session ended. Goes back to `returnTo` afterwards.
   */
  async authorizeAgain(options: { returnTo: string; scope?: string }): Promise<void> {
    // Set from the session whenever one is shown, and kept after it ends.
    const last = this.lastSignIn;
    if (!last) throw new FieldpassError('NOT_SIGNED_IN', 'There is no earlier sign-in to repeat');
    const scopes = options.scope ? [...last.scopes, options.scope] : last.scopes;
    await this.#redirect(last.server, last.clientId, scopes, options.returnTo);
  }

  /** Stores a new sign-in attempt and sends the browser to the authorization server for it. */
  async #redirect(server: ServerEndpoints, clientId: string, scopes: string[], returnTo: string | null): Promise<void> {
    const { redirectUri, par } = configured();
    const origin = window.location.origin;
    const { url } = await startSignIn(
      { server, clientId, redirectUri, scopes, returnTo: safeReturnTo(returnTo, origin), par },
      browserRuntime(),
    );
    window.location.assign(url);
  }

  /**
   * Signs out on this device and at the server. `confirm` is asked first, with what is still
   * unsent (it is deleted too); resolves undefined when the person stays signed in, else to the
   * notice for the start page, once the device's sign-in note is cleared.
   */
  async signOut(confirm: (unsent: Unsent | undefined) => Promise<boolean>): Promise<string | undefined> {
    if (!(await confirm(await countUnsent(this.session)))) return undefined;
    this.signingOut = true;
    try {
      clearTimeout(this.#timer);
      // Saved lists and queued work orders go too (every user's): the device is handed back clean.
      // They go before the server is told, so closing the app mid-sign-out cannot leave them behind.
      // A session the server ends keeps them, so the same user signing in again loses nothing.
      const result = await signOut(browserRuntime(), () =>
        clearOfflineData(browserRuntime()).catch((err: unknown) => console.warn('[fieldpass]', err)),
      );
      this.lastSignIn = undefined;
      this.#end(undefined);
      await this.#forgetting;
      return signOutNotice(result);
    } finally {
      this.signingOut = false;
    }
  }

  #listen(): void {
    if (this.#listening) return;
    this.#listening = true;
    this.online = navigator.onLine;
    window.addEventListener('online', (event) => this.#wake(event));
    window.addEventListener('offline', (event) => this.#wake(event));
    document.addEventListener('visibilitychange', (event) => this.#wake(event));
    onSessionChange((change) => void this.#follow(change));
    whenTimerLeader(() => {
      this.#leader = true;
      if (this.retryAt === undefined) this.#schedule();
      else void this.keepFresh();
    });
  }

  /** Follows a change made by this tab or another: new tokens, a sign-out, or a session the server ended. */
  async #follow(change: SessionChange): Promise<void> {
    if (change.kind === 'signed-out') {
      this.lastSignIn = undefined;
      return this.#end(undefined);
    }
    if (change.kind === 'ended') {
      const reason = change.reason === 'refresh_lost' ? 'refresh_lost' : undefined;
      return this.#end(new FieldpassError('SESSION_ENDED', 'The session ended in another tab', { reason }));
    }
    const generation = this.#generation;
    const stored = await getSession(browserRuntime());
    if (!stored || generation !== this.#generation) return;
    const wasSignedIn = this.status === 'signed-in';
    this.#show(stored);
    if (!wasSignedIn || stored.refresh_failures === undefined) {
      this.problem = undefined;
      this.retryAt = undefined;
    }
    this.#schedule();
  }

  async #fail(failure: FieldpassError): Promise<void> {
    if (ENDED.includes(failure.code)) return this.#end(failure);
    this.problem = failure;
    // The failure count and any pause the server asked for are kept with the session, for every tab.
    const stored = await getSession(browserRuntime());
    if (!stored) return this.#end(new FieldpassError('NOT_SIGNED_IN', 'The session is gone'));
    this.session = stored;
    const now = Date.now();
    const delay = Math.max(refreshRetryDelay(stored.refresh_failures ?? 1), (stored.retry_not_before ?? 0) - now);
    clearTimeout(this.#timer);
    this.retryAt = now + delay;
    if (this.#leader) this.#timer = setTimeout(() => void this.keepFresh(), delay);
  }

  #show(session: Session): void {
    this.session = session;
    this.status = 'signed-in';
    this.lastSignIn = this.#lastSignInOf(session);
    if (this.#noted) return;
    this.#noted = true;
    void recordSignIn();
  }

  #lastSignInOf(session: Session): LastSignIn {
    return { server: session.server, clientId: session.client_id, scopes: grantedScopes(session) };
  }

  #end(reason: FieldpassError | undefined): void {
    // Calls still waiting when the session ended find nothing stored; the reason it ended stands.
    if (this.status === 'signed-out' && this.problem && reason?.code === 'NOT_SIGNED_IN') return;
    this.#generation += 1;
    clearTimeout(this.#timer);
    this.session = undefined;
    this.status = 'signed-out';
    this.problem = reason;
    this.retryAt = undefined;
    if (this.#noted) void this.#forget();
  }

  /** The app removed the session itself: the device's note goes, so this is not taken for an eviction. */
  #forget(): Promise<unknown> {
    this.#noted = false;
    this.#forgetting = forgetSignIn();
    return this.#forgetting;
  }

  #schedule(): void {
    // While a failed refresh waits for its retry, that timer stands.
    if (this.retryAt !== undefined) return;
    clearTimeout(this.#timer);
    if (!this.session || !this.#leader) return;
    // Timers stall in sleeping tabs; #wake also checks the token when the tab comes back.
    const delay = this.session.expires_at - refreshMargin(this.session) - Date.now();
    this.#timer = setTimeout(() => void this.keepFresh(), Math.max(delay, 1_000));
  }
}

/** Whether a session is for the configured issuer and client; without a usable configuration, it is kept. */
function madeForConfig(session: Session): boolean {
  const loaded = clientConfig();
  if ('error' in loaded) return true;
  return session.server.issuer === loaded.config.issuer && session.client_id === loaded.config.clientId;
}

/** The configured client, or the configuration problem thrown. */
function configured(): ClientConfig {
  const loaded = clientConfig();
  if ('error' in loaded) throw loaded.error;
  return loaded.config;
}

export const sessionState = new SessionState();
