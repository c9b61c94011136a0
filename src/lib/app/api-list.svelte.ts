// One Fentu API list as the signed-in user sees it: fetched, saved on this device, retried after a 429.
import { onDestroy, untrack } from 'svelte';
import { isFieldpassError, type FieldpassError } from '../base/errors.js';
import { readCachedList, saveCachedList } from '../offline/cache.js';
import { offlineState, userKeyOf } from './offline.svelte.js';
import { browserRuntime } from './runtime.js';
import { sessionState } from './session.svelte.js';

/** Which list to show, read as it changes (pass getters over a component's props). */
export interface ApiListSource {
  apiBaseUrl: string;
  path: string;
  /** The scope the list needs. */
  scope: string;
  /** Reloads the list when it changes. */
  reloadOn: number;
}

async function userKey() {
  const session = sessionState.session;
  return session ? userKeyOf(session) : undefined;
}

/**
 * The state behind DataPanel. The list loads once the scope is granted, and again whenever another
 * user signs in; a 429 counts down to the time the API gave and tries once more by itself. The last
 * list fetched is kept on this device for the signed-in user: shown at once (with when it was
 * fetched) while the fresh one loads, and instead of an error when Fentu cannot be reached.
 * Create it while a component starts: it follows the session with the component's effects.
 */
export class ApiList<Row extends { id: string }> {
  rows = $state.raw<Row[] | undefined>(undefined);
  failure = $state.raw<FieldpassError | undefined>(undefined);
  loading = $state(false);
  /** When the rows shown were fetched, while they come from this device rather than a fetch just now. */
  savedAt = $state<number | undefined>(undefined);
  /** Why the saved rows are shown instead of fresh ones: Fentu could not be reached. */
  unreachable = $state(false);

  #source: ApiListSource;
  #now = $state(Date.now());
  /** True while the one automatic retry after a 429 is waiting or running. */
  #autoRetry = $state(false);
  /** The last list this user fetched, from this device or from a fetch in this page. */
  #saved: { rows: Row[]; fetchedAt: number } | undefined;
  /** The read of the saved list, which a failed fetch waits for before deciding what to show. */
  #savedRead: Promise<void> = Promise.resolve();
  #ticker: ReturnType<typeof setInterval> | undefined;

  /** Whose list this is; a list of another user's is never shown. */
  readonly who = $derived(sessionState.who);
  // `.by`: the source is set in the constructor, which runs after the fields.
  readonly granted = $derived.by(() => sessionState.hasScope(this.#source.scope));
  /** The scope a 403 `insufficient_scope` asked for. */
  readonly missingScope = $derived.by(() =>
    this.failure?.code === 'INSUFFICIENT_SCOPE' ? (this.failure.details.scope ?? this.#source.scope) : undefined,
  );
  /** Seconds until the automatic retry after a 429, while it is waiting. */
  readonly waitSeconds = $derived(
    this.#autoRetry && this.failure?.details.retryAt
      ? Math.max(0, Math.ceil((this.failure.details.retryAt - this.#now) / 1000))
      : undefined,
  );

  constructor(source: ApiListSource) {
    this.#source = source;
    $effect(() => {
      if (this.granted && this.who) untrack(() => this.#start());
    });
    let seenReload = untrack(() => source.reloadOn);
    $effect(() => {
      if (source.reloadOn === seenReload) return;
      seenReload = source.reloadOn;
      if (this.granted) untrack(() => void this.load());
    });
    // Signed out or navigated away during a countdown: the retry is not made.
    onDestroy(() => clearInterval(this.#ticker));
  }

  /** Fetches the list; `automatic` for the one retry after a 429, which a second 429 does not repeat. */
  async load(automatic = false): Promise<void> {
    this.loading = true;
    if (!automatic) this.#autoRetry = false;
    this.failure = undefined;
    // Whose list this is, fixed before the fetch: if another user signs in meanwhile, it is dropped.
    const asked = this.who;
    const user = await userKey();
    const path = this.#source.path;
    try {
      const fresh = (await sessionState.api<{ data: Row[] }>(this.#source.apiBaseUrl, { path })).body.data;
      if (this.who !== asked) return;
      const fetchedAt = Date.now();
      this.rows = fresh;
      this.#saved = { rows: fresh, fetchedAt };
      this.savedAt = undefined;
      this.unreachable = false;
      offlineState.publish(path, fresh);
      this.#autoRetry = false;
      // Written only while this user is still the one signed in (checked again under the lock).
      if (user) void saveCachedList(browserRuntime(), user, path, { rows: fresh, fetchedAt }).catch(() => undefined);
    } catch (err) {
      if (!isFieldpassError(err)) throw err;
      await this.#savedRead;
      // Cannot reach Fentu: the list saved on this device stands in, with when it was fetched.
      if (['NETWORK', 'TIMEOUT', 'SERVER_ERROR'].includes(err.code) && this.#saved) {
        this.rows = this.#saved.rows;
        this.savedAt = this.#saved.fetchedAt;
        this.unreachable = true;
        return;
      }
      this.failure = err;
      // One automatic retry after a rate limit, at the time the API gave; a second 429 waits for the user.
      if (err.code === 'RATE_LIMITED' && err.details.retryAt !== undefined && !automatic)
        this.#waitForRetry(err.details.retryAt);
      else this.#autoRetry = false;
    } finally {
      this.loading = false;
    }
  }

  /** A new user, or the scope just granted: nothing of the list shown before stays. */
  #start() {
    this.rows = undefined;
    this.#saved = undefined;
    this.savedAt = undefined;
    this.unreachable = false;
    this.#savedRead = this.#showSaved().catch(() => undefined);
    void this.load();
  }

  /** Shows the list saved on this device, if there is one and nothing fresher is shown. */
  async #showSaved() {
    const asked = this.who;
    const user = await userKey();
    const path = this.#source.path;
    const list = user
      ? await readCachedList<Row>(browserRuntime().store, user, path).catch(() => undefined)
      : undefined;
    // Another user signed in meanwhile (in another tab): this list is not theirs.
    if (!list || this.who !== asked || (this.#saved && this.#saved.fetchedAt >= list.fetchedAt)) return;
    this.#saved = list;
    if (this.rows === undefined || this.savedAt !== undefined) {
      this.rows = list.rows;
      this.savedAt = list.fetchedAt;
      offlineState.publish(path, list.rows);
    }
  }

  #waitForRetry(at: number) {
    this.#autoRetry = true;
    clearInterval(this.#ticker);
    this.#ticker = setInterval(() => {
      this.#now = Date.now();
      if (!this.#autoRetry) return clearInterval(this.#ticker);
      if (this.#now >= at) {
        clearInterval(this.#ticker);
        void this.load(true);
      }
    }, 250);
  }
}
