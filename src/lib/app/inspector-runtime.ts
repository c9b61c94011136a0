import { INSPECTOR_DATABASE, afterReady, moveInspectorRecords } from '../inspect/inspector-store.js';
import { type CoreRuntime } from '../oauth/runtime.js';
import { defaultLock } from '../base/lock.js';
import { createIdbStore } from '../storage/idb-store.js';
import { createSealedStore } from '../storage/sealed-store.js';
import { browserRuntime } from './runtime.js';

let runtime: CoreRuntime | undefined;

/**
 * The inspector's runtime: its own IndexedDB database (sealed like the session's), Web Locks and
 * the page's fetch; no session listeners, no service worker. On first use it moves into its own
 * database any profiles, attempts and keys found in the session's store (where they were kept
 * before the inspector had its own database), so a developer keeps them.
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
