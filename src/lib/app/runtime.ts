import { type CoreRuntime, type SessionChange } from '../oauth/runtime.js';
import { defaultLock } from '../base/lock.js';
import { TAB_KEY } from '../pwa/callback-messages.js';
import { refreshInWorker } from '../pwa/refresh-messages.js';
import { createIdbStore } from '../storage/idb-store.js';
import { createSealedStore } from '../storage/sealed-store.js';

/** The BroadcastChannel every tab of the origin listens on for sign-in, sign-out and new tokens. */
const CHANNEL_NAME = 'fieldpass-session';

type Listener = (change: SessionChange) => void;

let runtime: CoreRuntime | undefined;
let channel: BroadcastChannel | undefined;
const listeners = new Set<Listener>();

function openChannel(): BroadcastChannel | undefined {
  if (typeof BroadcastChannel === 'undefined') return undefined;
  channel ??= new BroadcastChannel(CHANNEL_NAME);
  // Messages say only what happened; each tab reads the token set from IndexedDB itself.
  channel.onmessage = (event: MessageEvent<SessionChange>) => listeners.forEach((listener) => listener(event.data));
  return channel;
}

/**
 * This tab's mark, kept in sessionStorage because only it lives exactly as long as the tab,
 * across the trip to the authorization server and back. It is a random name, not a secret: the
 * attempt itself stays sealed in IndexedDB. Without sessionStorage, attempts are not tied to a tab.
 */
function tabMark(): string | undefined {
  try {
    let mark = sessionStorage.getItem(TAB_KEY);
    if (!mark) sessionStorage.setItem(TAB_KEY, (mark = crypto.randomUUID()));
    return mark;
  } catch {
    return undefined;
  }
}

function createRuntime(refreshElsewhere?: CoreRuntime['refreshElsewhere'], tab?: string): CoreRuntime {
  return {
    store: createSealedStore(createIdbStore(), defaultLock),
    onChange: (change) => {
      openChannel()?.postMessage(change);
      listeners.forEach((listener) => listener(change));
    },
    refreshElsewhere,
    tab,
  };
}

/**
 * The browser's core runtime: IndexedDB sealed with a non-extractable AES-GCM key, Web Locks, the
 * page's fetch; every change to the token set is told to this tab's listeners and to other tabs.
 * Refreshes are handed to the service worker whenever one controls the page.
 */
export function browserRuntime(): CoreRuntime {
  runtime ??= createRuntime(refreshInWorker, tabMark());
  return runtime;
}

/** The service worker's runtime: the same store, locks and channel; it performs refreshes itself. */
export function workerRuntime(): CoreRuntime {
  runtime ??= createRuntime();
  return runtime;
}

/** Calls `listener` on every change to the token set, made in this tab or another. Returns the unsubscribe. */
export function onSessionChange(listener: Listener): () => void {
  openChannel();
  listeners.add(listener);
  return () => listeners.delete(listener);
}
