import { offlineUserKey } from '../offline/cache.js';
import {
  clearSentItems,
  createdIdOf,
  discardOutboxItem,
  drainOutbox,
  enqueueWorkOrder,
  retryOutboxItem,
  workOrderRequest,
} from '../offline/outbox.js';
import { enqueueStatusChange, resolveConflict, statusChangeSender } from '../offline/status-changes.js';
import {
  listOutbox,
  listStatusChanges,
  type OutboxItem,
  type StatusChange,
  type StatusChangeItem,
  type WorkOrderDraft,
  type WorkOrderVersion,
} from '../offline/outbox-items.js';
import type { Session } from '../oauth/session.js';
import { userIdentity } from '../base/user.js';
import { browserRuntime } from './runtime.js';
import { sessionState } from './session.svelte.js';

/** Tabs tell each other that the outbox changed; each reads it from IndexedDB itself (no content, no tokens). */
const CHANNEL_NAME = 'fieldpass-outbox';

// Not reactive state: a memo of hashes, read only by userKeyOf.
// eslint-disable-next-line svelte/prefer-svelte-reactivity
const keys = new Map<string, Promise<string | undefined>>();

/** The offline key of a session's user (see offlineUserKey), worked out once per user. */
export function userKeyOf(session: Session): Promise<string | undefined> {
  const id = userIdentity(session);
  let key = keys.get(id);
  if (!key) keys.set(id, (key = offlineUserKey(session)));
  return key;
}

/**
 * The outbox as the UI sees it: the signed-in user's queued orders and status changes, kept in step
 * with every tab, and a sender that drains them whenever this tab loads, comes back online or to
 * the front, queues something, or signs in — and at the time a back-off ends.
 */
class OfflineState {
  /** The signed-in user's offline key; undefined while signed out or when Fentu gave no `sub`. */
  user = $state<string | undefined>(undefined);
  /** False until the user's key is known (a session without `sub` settles to undefined). */
  ready = $state(false);
  items = $state.raw<OutboxItem[]>([]);
  /** Status changes made on this device, oldest first: sent, waiting, or waiting for a choice. */
  changes = $state.raw<StatusChangeItem[]>([]);
  /** Rows of lists fetched or read from this device, by API path: the form's customer and asset choices. */
  lists = $state.raw<Record<string, unknown[]>>({});
  /** Goes up whenever an order is seen going from unsent to sent (in any tab): the work orders list reloads. */
  sentCount = $state(0);
  #apiBaseUrl = '';
  #listening = false;
  #channel: BroadcastChannel | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #draining = false;
  #again = false;
  #againNow = false;
  #holders = 0;

  /**
   * Marks a page that shows the outbox (the home, a job). When the last one goes, the outbox stops
   * following the user; pages open in turn during a navigation keep it following. Returns the release.
   */
  hold(): () => void {
    this.#holders += 1;
    return () => {
      this.#holders -= 1;
      if (this.#holders === 0) void this.follow(this.#apiBaseUrl, undefined);
    };
  }

  /** Follows the signed-in session (called from the home page); starts listening the first time. */
  async follow(apiBaseUrl: string, session: Session | undefined): Promise<void> {
    this.#apiBaseUrl = apiBaseUrl;
    this.#listen();
    const user = session ? await userKeyOf(session) : undefined;
    if (user !== this.user) {
      this.items = [];
      this.changes = [];
      this.lists = {};
    }
    this.user = user;
    this.ready = true;
    await this.refresh();
    void this.drain();
  }

  /** What the browser says about the network (kept by the session state, which watches it). */
  get online(): boolean {
    return sessionState.online;
  }

  /** Publishes a list's rows for the form. */
  publish(path: string, rows: unknown[]): void {
    this.lists = { ...this.lists, [path]: rows };
  }

  /** Reads the user's items again from IndexedDB. */
  async refresh(): Promise<void> {
    const user = this.user;
    const store = browserRuntime().store;
    const [items, changes] = user
      ? await Promise.all([listOutbox(store, user), listStatusChanges(store, user)])
      : [[], []];
    if (user !== this.user) return;
    const before = new Map([...this.items, ...this.changes].map((item) => [item.id, item.status]));
    const newlySent = [...items, ...changes].filter(
      (item) => item.status === 'sent' && before.has(item.id) && before.get(item.id) !== 'sent',
    );
    this.items = items;
    this.changes = changes;
    if (newlySent.length) this.sentCount += newlySent.length;
  }

  async enqueue(body: WorkOrderDraft): Promise<OutboxItem | undefined> {
    if (!this.user) return undefined;
    const item = await enqueueWorkOrder(browserRuntime(), this.user, body);
    await this.#changed();
    void this.drain();
    return item;
  }

  /**
   * Queues a status change to a job as the technician saw it. Undefined when it was not taken:
   * signed out, or an earlier change to the job waits for the technician.
   */
  async changeStatus(change: StatusChange, seen: WorkOrderVersion): Promise<StatusChangeItem | undefined> {
    if (!this.user) return undefined;
    const item = await enqueueStatusChange(browserRuntime(), this.user, change, seen);
    await this.#changed();
    void this.drain();
    return item;
  }

  /** Settles a conflict: send the change again over the office's version, or keep theirs. */
  async resolve(id: string, choice: 'mine' | 'theirs'): Promise<void> {
    if (!this.user) return;
    await resolveConflict(browserRuntime(), this.user, id, choice);
    await this.#changed();
    void this.drain(true);
  }

  /** Puts a failed order back in the queue; with `body`, as edited. */
  async retry(id: string, body?: WorkOrderDraft): Promise<void> {
    if (!this.user) return;
    await retryOutboxItem(browserRuntime(), this.user, id, body);
    await this.#changed();
    void this.drain(true);
  }

  async discard(id: string): Promise<void> {
    if (!this.user) return;
    await discardOutboxItem(browserRuntime(), this.user, id);
    await this.#changed();
  }

  async clearSent(): Promise<void> {
    if (!this.user) return;
    await clearSentItems(browserRuntime(), this.user);
    await this.#changed();
  }

  /**
   * Sends what is pending, when online and signed in. `now` skips the back-off (the network is
   * back); a wait the server asked for still stands. One drain at a time in this tab; the Web Lock
   * inside keeps other tabs out.
   */
  async drain(now = false): Promise<void> {
    const user = this.user;
    if (!user || !this.online || sessionState.status !== 'signed-in') return;
    if (this.#draining) {
      // Asked again mid-drain (back online, a new order): run once more after, skipping the back-off if asked.
      this.#again = true;
      this.#againNow ||= now;
      return;
    }
    this.#draining = true;
    clearTimeout(this.#timer);
    try {
      const result = await drainOutbox(browserRuntime(), {
        user,
        ignoreBackoff: now,
        send: async (item) => createdIdOf((await sessionState.api(this.#apiBaseUrl, workOrderRequest(item))).body),
        sendChange: statusChangeSender((request) => sessionState.api(this.#apiBaseUrl, request)),
        onChange: () => void this.#changed(),
      });
      if (result.nextAttemptAt !== undefined) {
        this.#timer = setTimeout(() => void this.drain(), Math.max(result.nextAttemptAt - Date.now(), 250));
      }
    } catch (err) {
      console.warn('[fieldpass] the outbox could not be sent', err);
    } finally {
      this.#draining = false;
      await this.refresh();
    }
    if (this.#again) {
      const again = this.#againNow;
      this.#again = false;
      this.#againNow = false;
      void this.drain(again);
    }
  }

  async #changed(): Promise<void> {
    this.#channel?.postMessage({ kind: 'outbox' });
    await this.refresh();
  }

  #listen(): void {
    if (this.#listening || typeof window === 'undefined') return;
    this.#listening = true;
    if (typeof BroadcastChannel !== 'undefined') {
      this.#channel = new BroadcastChannel(CHANNEL_NAME);
      this.#channel.onmessage = () => void this.refresh();
    }
    // Back online: send at once, back-off or not. Timers stall in sleeping tabs and on sleeping
    // tablets: look again when the page is back.
    sessionState.onWake((wake) => void this.drain(wake === 'online'));
  }
}

export const offlineState = new OfflineState();
