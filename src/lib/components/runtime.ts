import { defaultLock, type CoreRuntime, type SessionChange } from '../oauth/runtime.js';
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
 * The browser's core runtime: IndexedDB sealed with a non-extractable AES-GCM key, Web Locks, the
 * page's fetch; every change to the token set is told to this tab's listeners and to other tabs.
 */
export function browserRuntime(): CoreRuntime {
  runtime ??= {
    store: createSealedStore(createIdbStore(), defaultLock),
    onChange: (change) => {
      openChannel()?.postMessage(change);
      listeners.forEach((listener) => listener(change));
    },
  };
  return runtime;
}

/** Calls `listener` on every change to the token set, made in this tab or another. Returns the unsubscribe. */
export function onSessionChange(listener: Listener): () => void {
  openChannel();
  listeners.add(listener);
  return () => listeners.delete(listener);
}
