import { INSPECTOR_DATABASE, afterReady, moveInspectorRecords } from '../inspect/inspector-store.js';
import { defaultLock, type CoreRuntime } from '../oauth/runtime.js';
import { createIdbStore } from '../storage/idb-store.js';
import { createSealedStore } from '../storage/sealed-store.js';
import { browserRuntime } from './runtime.js';

let runtime: CoreRuntime | undefined;

/**
 * The inspector's runtime: its own IndexedDB database (sealed like the session's), Web Locks and
 * the page's fetch; no session listeners, no service worker. On first use it moves the profiles,
 * attempts and keys earlier versions kept in the session's store into its own.
 */
export function inspectorRuntime(): CoreRuntime {
  if (!runtime) {
    const store = createSealedStore(createIdbStore(INSPECTOR_DATABASE), defaultLock);
    const moved = moveInspectorRecords(browserRuntime().store, store).catch((err) =>
      console.warn('The inspector could not move its records out of the session store:', err),
    );
    runtime = { store: afterReady(store, moved) };
  }
  return runtime;
}
