import type { CoreRuntime } from '../oauth/runtime.js';
import { createIdbStore } from '../storage/idb-store.js';

let runtime: CoreRuntime | undefined;

/** The browser's core runtime: IndexedDB storage, Web Locks, the page's fetch. Browser only. */
export function browserRuntime(): CoreRuntime {
  runtime ??= { store: createIdbStore() };
  return runtime;
}
