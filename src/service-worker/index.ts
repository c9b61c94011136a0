// Fieldpass's service worker: the app opens with no network, and token renewal cannot be cut in
// half. It caches the app itself only (see #lib/pwa/cache-rules for what is never cached): sign-in
// callbacks, the server's /api routes and every other origin pass straight to the network.
//
// Refreshes: a page asks, and the worker refreshes the sealed token set under the shared Web Lock,
// with the DPoP key from IndexedDB, stores the rotated set and tells every tab — all inside the
// message event's lifetime, so a reload or a closed tab cannot lose the rotated refresh token.
//
// Sign-in callbacks: the page's first inline script hands the authorization response over, and
// the worker exchanges the code and stores the token set the same way (completeSignIn), so the
// exchange starts before the app's modules have loaded and no reload can drop its answer.
//
// Updates: a new version installs beside the old one and waits (no skipWaiting). Open pages keep
// the version they loaded, whose lazily loaded route files stay in the old cache, until every one
// of them is closed; the next start gets the new version. clients.claim() only matters for the
// very first install, so the page that installed it works offline without a reload.

import { version } from '$app/env';
import { assets, immutable } from '$app/manifest';
import { self as worker } from '$app/service-worker';
import { workerRuntime } from '#lib/app/runtime.ts';
import { ensureFreshSession } from '#lib/oauth/session.ts';
import { completeSignIn } from '#lib/oauth/sign-in.ts';
import { CALLBACK_MESSAGE, type CallbackMessage, type CallbackReply } from '#lib/pwa/callback-messages.ts';
import { failedReply, REFRESH_MESSAGE, type RefreshMessage, type RefreshReply } from '#lib/pwa/refresh-messages.ts';
import {
  cacheName,
  CACHE_PREFIX,
  classifyRequest,
  mayStore,
  offlineCallbackPage,
  SHELL_PATH,
} from '#lib/pwa/cache-rules.ts';

const CACHE = cacheName(version);
// The build's hashed files and static/ (icons, manifest): the shell needs nothing else offline.
// Their paths are relative to the base path, and Fieldpass is served at the root.
const ASSETS = [...immutable, ...assets].map((file) => `/${file.path}`);
const PRECACHED = new Set(ASSETS);

/** The Service Worker Static Routing API, where the browser has it (Chromium). */
type InstallEventWithRoutes = ExtendableEvent & {
  addRoutes?: (rules: { condition: { urlPattern: string }; source: { cacheName: string } }[]) => Promise<void>;
};

worker.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      // The build's hashed files come straight from this version's cache, without a trip through
      // this worker's script: every page, the callback above all, starts that much sooner. Without
      // the routing API, or if the browser refuses the rule, the fetch handler below serves them
      // from the same cache; a miss goes to the network either way. (Called before any await:
      // routes can only be added while the install event is being dispatched.)
      try {
        await (event as InstallEventWithRoutes).addRoutes?.([
          { condition: { urlPattern: '/_app/immutable/*' }, source: { cacheName: CACHE } },
        ]);
      } catch {
        // Served by the fetch handler.
      }
      const cache = await caches.open(CACHE);
      await cache.addAll(ASSETS);
      // The shell is stored with its headers: the CSP nonce in the header matches the one in the body.
      const shell = await fetch(SHELL_PATH, { cache: 'reload', credentials: 'same-origin' });
      if (!mayStore(shell)) throw new Error(`The page shell answered ${shell.status}; not installing.`);
      await cache.put(SHELL_PATH, shell);
    })(),
  );
});

worker.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) {
        if (key.startsWith(CACHE_PREFIX) && key !== CACHE) await caches.delete(key);
      }
      await worker.clients.claim();
    })(),
  );
});

/** A page: the live server first (fresh CSP nonce and headers); offline, the shell kept at install. */
async function shellFirstFromNetwork(request: Request): Promise<Response> {
  try {
    return await fetch(request);
  } catch (err) {
    const shell = await caches.match(SHELL_PATH, { cacheName: CACHE });
    if (shell) return shell;
    throw err;
  }
}

/** A file of this build: from the cache when it is there, otherwise from the network (not stored). */
async function precachedFirst(request: Request): Promise<Response> {
  const cached = await caches.match(request, { cacheName: CACHE });
  return cached ?? fetch(request);
}

/** Sign-ins whose code exchange started as their callback was requested, by callback URL. */
const callbacks = new Map<string, { claim: (tab: string | undefined) => void; answer: Promise<CallbackReply> }>();
/** How long a started sign-in waits for the tab the response reached to say which tab it is. */
const CLAIM_MS = 60_000;

/**
 * Starts finishing a sign-in: the code is exchanged at once, and the token set is stored only once
 * the page the response reached has said which tab it is, and that tab started the sign-in (no
 * page within CLAIM_MS: nothing is stored). The checks are the page path's own.
 */
function startCallback(url: string) {
  let claim!: (tab: string | undefined) => void;
  // '' is no tab's mark: a response no page claims in time finishes nothing.
  const tab = new Promise<string | undefined>((resolve) => {
    claim = resolve;
    setTimeout(resolve, CLAIM_MS, '');
  });
  const answer = completeSignIn(url, { ...workerRuntime(), tab }).then(
    ({ session, returnTo }): CallbackReply => ({
      done: true,
      session,
      returnTo,
      storedAt: performance.timeOrigin + performance.now(),
    }),
    failedReply,
  );
  const started = { claim, answer };
  callbacks.set(url, started);
  void answer.then(() => {
    if (callbacks.get(url) === started) callbacks.delete(url);
  });
  return started;
}

worker.addEventListener('fetch', (event) => {
  const { request } = event;
  const kind = classifyRequest(request, worker.location.origin);
  if (kind === 'shell') {
    event.respondWith(shellFirstFromNetwork(request));
  } else if (kind === 'callback') {
    // Never the shell: it would start a code exchange. Offline, a page without any script.
    const page = fetch(request);
    event.respondWith(page.catch(() => offlineCallbackPage()));
    // A sign-in's response: once the server answers for its page (offline, nothing is started and
    // the attempt waits), its code exchange starts, while the page loads.
    const url = new URL(request.url);
    if (url.pathname === '/callback' && url.search) {
      event.waitUntil(
        page.then(
          () => startCallback(request.url).answer,
          () => undefined,
        ),
      );
    }
  } else if (kind === 'asset' && PRECACHED.has(new URL(request.url).pathname)) {
    event.respondWith(precachedFirst(request));
  }
  // Everything else: no respondWith, so the browser fetches it as if there were no service worker.
});

worker.addEventListener('message', (event) => {
  const [port] = event.ports;
  const message = event.data as RefreshMessage | CallbackMessage | undefined;
  if (!port) return;
  if (message?.type === REFRESH_MESSAGE) {
    const reply = (answer: RefreshReply) => port.postMessage(answer);
    reply({ accepted: true });
    event.waitUntil(
      ensureFreshSession(workerRuntime(), message.rejectedAccessToken, { ignoreBackoff: message.ignoreBackoff }).then(
        () => reply({ done: true }),
        (err: unknown) => reply(failedReply(err)),
      ),
    );
  } else if (message?.type === CALLBACK_MESSAGE) {
    // The tab's mark for a sign-in started when its callback was requested (or, if this worker did
    // not see that request, for one started now), and the answer once it is stored or has failed.
    const started = callbacks.get(message.url) ?? startCallback(message.url);
    callbacks.delete(message.url);
    started.claim(message.tab);
    port.postMessage({ accepted: true } satisfies CallbackReply);
    event.waitUntil(started.answer.then((answer) => port.postMessage(answer)));
  }
});
