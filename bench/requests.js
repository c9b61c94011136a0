// The requests of one sign-in, from the click on "Continue to Fentu" until home shows the user
// signed in: what each one is, and the counts the budget holds (bench/budget.json, requests.*).

/** What one request is: who it went to and why. `origins` are the bench's app, issuer and API. */
export function classifyRequest({ url, method, resourceType, navigation }, { app, issuer, api }) {
  const { origin, pathname } = new URL(url);
  const who =
    origin === app ? 'app' : origin === issuer ? 'authorization server' : origin === api ? 'Fentu API' : origin;
  if (method === 'OPTIONS') return `${who}: CORS preflight`;
  if (origin === app) {
    if (navigation) return `app: page ${pathname}`;
    if (pathname.startsWith('/api/')) return `app: server route ${method} ${pathname}`;
    if (pathname === '/favicon.svg') return 'app: favicon';
    return `app: ${resourceType}`;
  }
  if (origin === issuer) {
    if (pathname.startsWith('/.well-known/')) return 'authorization server: discovery';
    if (pathname === '/request') return 'authorization server: pushed authorization request';
    if (pathname === '/authorize') return 'authorization server: authorize';
    if (pathname.startsWith('/authorize/')) return 'authorization server: authorize (resumed)';
    if (pathname === '/token') return 'authorization server: token';
    if (pathname === '/jwks') return 'authorization server: jwks';
    if (pathname.startsWith('/interaction/')) {
      return `authorization server: ${method === 'POST' ? 'login/consent form sent' : 'login/consent page'}`;
    }
    return `authorization server: ${method} ${pathname}`;
  }
  if (origin === api) return `Fentu API: ${method} ${pathname}`;
  return `${who}: ${method} ${pathname}`;
}

/** Why each kind of request is there; printed beside the counts. */
export const WHY = {
  'authorization server: pushed authorization request':
    'the authorization request (PKCE S256, state, nonce, dpop_jkt), pushed with a DPoP proof: first answer is the nonce challenge (400 use_dpop_nonce), the retry carries the nonce',
  'authorization server: authorize': 'the browser goes to the server with client_id and request_uri only',
  'authorization server: login/consent page': "the sandbox's login page, then its consent page",
  'authorization server: login/consent form sent': 'the user signs in, then allows the scopes',
  'authorization server: authorize (resumed)': 'the server resumes the authorization after each form',
  'authorization server: CORS preflight': 'the push and the token request are cross-origin with a DPoP header',
  'authorization server: token':
    'the code exchange, by the service worker when one controls the callback: first answer is the DPoP nonce challenge (400 use_dpop_nonce), the retry carries the nonce',
  'authorization server: discovery': 'AVOIDABLE: the pending attempt already holds the metadata',
  'authorization server: jwks': 'AVOIDABLE: the ID token comes straight from the token endpoint',
  'app: page /callback': 'the redirect back with the code (home is then a client-side navigation)',
  'app: script': 'SvelteKit chunks; those already loaded for the consent page come from the browser cache',
  'app: stylesheet': 'the app stylesheet, from the browser cache',
  'app: favicon': "the browser's own fetches of the tab icon; in no count",
  'Fentu API: CORS preflight': 'cross-origin with Authorization and DPoP headers; browsers cache them per URL',
  'app: server route GET /api/m2m':
    'the Integrations page: which machine-to-machine providers this user may call (the home does not ask)',
};

/** The app's own code, styles and icons (not its pages or server routes). */
const isAppAsset = (r) =>
  r.kind.startsWith('app: ') && !r.kind.startsWith('app: page ') && !r.kind.startsWith('app: server route');

/**
 * True for the requests that went to a server: not a browser-cache hit, and not an app asset a
 * service worker answered (from its precache). Anything else a service worker answered is counted
 * as sent: it passes the request on when online, and the page cannot tell.
 */
const reachedServer = (r) => !r.fromCache && !(r.fromServiceWorker && isAppAsset(r));

/**
 * Counts for the budget from one sign-in's requests (each `{ url, method, resourceType,
 * navigation, fromCache, fromServiceWorker, status }`). `repeated` counts a request sent again to the same URL with
 * the same method when the earlier one was not a challenge (a 400 or 401 carrying a DPoP nonce to
 * retry with); a browser-cache hit is not a request to a server and never counts.
 */
export function requestCounts(requests, origins) {
  const kinds = requests.map((r) => ({ ...r, kind: classifyRequest(r, origins) }));
  // The browser fetches and revalidates the tab icon as it sees fit: listed, but in no count.
  const sent = kinds.filter((r) => reachedServer(r) && r.kind !== 'app: favicon');
  const count = (predicate) => sent.filter(predicate).length;
  const seen = new Map();
  let repeated = 0;
  for (const r of sent) {
    const key = `${r.method} ${r.url}`;
    const earlier = seen.get(key);
    if (earlier && earlier.status !== 400 && earlier.status !== 401) repeated += 1;
    seen.set(key, r);
  }
  return {
    total: sent.length,
    // Browser-cache hits, and app assets a service worker answered.
    servedLocally: kinds.filter((r) => !reachedServer(r) && r.kind !== 'app: favicon').length,
    discovery: count((r) => r.kind === 'authorization server: discovery'),
    jwks: count((r) => r.kind === 'authorization server: jwks'),
    tokenPosts: count((r) => r.kind === 'authorization server: token'),
    pushes: count((r) => r.kind === 'authorization server: pushed authorization request'),
    appDocuments: count((r) => r.kind.startsWith('app: page ')),
    appAssetsFromNetwork: count(isAppAsset),
    apiCalls: count((r) => r.kind.startsWith('Fentu API: ') && r.method !== 'OPTIONS'),
    preflights: count((r) => r.method === 'OPTIONS'),
    repeated,
  };
}

/** `[kind, { sent, cached }]` in the order each kind first appeared. */
export function groupRequests(requests, origins) {
  const groups = new Map();
  for (const r of requests) {
    const kind = classifyRequest(r, origins);
    const group = groups.get(kind) ?? { sent: 0, cached: 0 };
    if (!reachedServer({ ...r, kind })) group.cached += 1;
    else group.sent += 1;
    groups.set(kind, group);
  }
  return [...groups];
}
