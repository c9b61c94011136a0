/**
 * What the service worker may cache and answer from its cache. Only the app itself is cached —
 * the build's files, the static files and one copy of the page shell — and only for plain GETs
 * to this origin. Sign-in responses, the server's API routes, every other origin (authorization
 * server, token endpoint, Fentu API) and anything carrying a credential always go to the network.
 */

/** Every cache this app creates starts with this; a new version deletes the others. */
export const CACHE_PREFIX = 'fieldpass-app-';

/** Where the page shell is kept: every route is served the same client-rendered shell (`ssr = false`). */
export const SHELL_PATH = '/';

/** The cache for one build of the app. */
export function cacheName(version: string): string {
  return `${CACHE_PREFIX}${version}`;
}

/** Pages that finish a sign-in: they must run against the live server, once, never from a copy. */
function isCallbackPath(pathname: string): boolean {
  return ['/callback', '/inspect/callback'].includes(pathname.replace(/\/+$/, '') || '/');
}

/** The server's own endpoints (`/api/…`): per-user, per-request answers, never cached. */
function isApiPath(pathname: string): boolean {
  return pathname === '/api' || pathname.startsWith('/api/');
}

/**
 * How the service worker treats a request:
 * - `network`: not touched at all (the browser fetches it as if there were no service worker);
 * - `shell`: a page navigation, network first, the cached shell when the network fails;
 * - `callback`: a navigation to a sign-in callback, network only, a plain offline page when it fails;
 * - `asset`: a same-origin GET that may come from the cache if it was stored at install.
 */
export type RequestKind = 'network' | 'shell' | 'callback' | 'asset';

/** Decides how a request is handled; `origin` is the app's own origin. */
export function classifyRequest(
  request: Pick<Request, 'url' | 'method' | 'mode' | 'headers'>,
  origin: string,
): RequestKind {
  if (request.method !== 'GET') return 'network';
  const url = new URL(request.url);
  if (url.origin !== origin) return 'network';
  // A request that carries a token or a proof of possession is never answered from a copy.
  if (request.headers.has('authorization') || request.headers.has('dpop')) return 'network';
  if (isCallbackPath(url.pathname)) return request.mode === 'navigate' ? 'callback' : 'network';
  if (isApiPath(url.pathname)) return 'network';
  return request.mode === 'navigate' ? 'shell' : 'asset';
}

/** Whether a response may be written to the cache: a whole, same-origin 200 the server lets be stored. */
export function mayStore(response: Pick<Response, 'status' | 'type' | 'redirected' | 'headers'>): boolean {
  if (response.status !== 200 || response.type !== 'basic' || response.redirected) return false;
  const cacheControl = response.headers.get('cache-control') ?? '';
  return !/(^|,)\s*(no-store|private)\s*(,|$)/i.test(cacheControl);
}

/**
 * The page shown for a sign-in callback opened while offline: plain HTML with no script, so it
 * can never start a code exchange; "Try again" reloads the same address once back online.
 */
export function offlineCallbackPage(): Response {
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Offline · Fieldpass</title>
<style>
body { margin: 0; font: 18px/1.5 system-ui, sans-serif; color: #1d1d1b; background: #f4f1ea; }
main { max-width: 40rem; margin: 2rem auto; padding: 1.25rem 1.5rem; background: #fff; border-radius: 12px; }
a { display: inline-flex; align-items: center; min-height: 44px; padding: 0.5rem 1.25rem; margin: 0.5rem 0.5rem 0 0;
  border: 1px solid #1f5f4a; border-radius: 8px; color: #1f5f4a; text-decoration: none; box-sizing: border-box; }
a.primary { background: #1f5f4a; color: #fff; }
</style>
</head>
<body>
<main>
<h1>You are offline</h1>
<p>Fieldpass cannot finish signing you in without a connection to Fentu. Nothing has been sent or stored.</p>
<p>Connect to the internet, then try again. If that does not work, start signing in again.</p>
<a class="primary" href="">Try again</a><a href="/sign-in">Start signing in again</a>
</main>
</body>
</html>
`;
  return new Response(html, {
    status: 503,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy':
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
    },
  });
}
