// What a user's browser does with the production build, in Chromium against the sandbox:
//   - the JavaScript each page sends (consent, callback, home signed in), from a cold cache;
//   - from the callback page's navigation start to the token set stored, over N sign-ins;
//   - every request from the click on "Continue to Fentu" until home shows the user signed in.
// Every sign-in is real: the sandbox's login and consent pages, the code exchange with PKCE and
// DPoP, the sealed token set in IndexedDB. No token is read, printed or kept here.

import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium } from '@playwright/test';
import { CHROMIUM_LAUNCH as LAUNCH } from '../tests/chromium.js';
import { gzipSize } from './bundle.js';

const ROOT = resolve(import.meta.dirname, '..');
const DEMO = { email: 'sam.okafor@fentu.example', password: 'fieldpass' };
/** The User Timing mark the callback page sets once the token set is stored (no token in it). */
export const STORED_MARK = 'fieldpass:tokens-stored';

/** Opens /sign-in and waits until "Continue to Fentu" can be clicked (it arms after a short pause). */
async function openConsent(page, app) {
  await page.goto(`${app}/sign-in`);
  const proceed = page.getByRole('button', { name: 'Continue to Fentu' });
  await proceed.waitFor();
  await page.waitForFunction(() =>
    [...document.querySelectorAll('button')].some((b) => b.textContent?.includes('Continue to Fentu') && !b.disabled),
  );
  return proceed;
}

/** From the click on Continue, through the sandbox's login and consent, to home showing the user signed in. */
async function continueToSignedIn(page, proceed, app, issuer) {
  await proceed.click();
  await page.waitForURL(`${issuer}/**`);
  // The sandbox asks for the login only without its own session cookie, and for consent only
  // for scopes not granted yet; each bench sign-in uses a fresh browser context, so both come.
  await page.getByLabel('Email').fill(DEMO.email);
  await page.getByLabel('Password').fill(DEMO.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.waitForURL(`${app}/`);
  await page.getByRole('heading', { name: /^Signed in/ }).waitFor();
  await page.getByRole('link', { name: 'Quarterly chiller service' }).first().waitFor();
}

/** The callback document's navigation start to the stored token set, in ms, from the page's own clock. */
async function callbackToStored(page) {
  return page.evaluate((mark) => {
    const navigation = performance.getEntriesByType('navigation')[0];
    const stored = performance.getEntriesByName(mark)[0];
    if (!navigation || new URL(navigation.name).pathname !== '/callback') throw new Error('not the callback document');
    if (!stored) throw new Error(`the callback page set no ${mark} mark`);
    // Where the time goes, from Resource Timing (start and end are given even cross-origin).
    const token = performance
      .getEntriesByType('resource')
      .filter((e) => e.name.endsWith('/token') && e.startTime < stored.startTime);
    return {
      ms: stored.startTime,
      epoch: performance.timeOrigin + stored.startTime,
      tokenStartMs: token.length ? Math.min(...token.map((e) => e.startTime)) : NaN,
      tokenEndMs: token.length ? Math.max(...token.map((e) => e.responseEnd)) : NaN,
    };
  }, STORED_MARK);
}

/**
 * Turns the HTTP cache off for `page`, and any service worker's answers with it, through the
 * DevTools protocol: every load is a cold one.
 */
async function coldCache(context, page) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await cdp.send('Network.setBypassServiceWorker', { bypass: true });
}

/** Records the scripts `page` loads from the app: URL, when requested, what the server sent. */
function recordScripts(page, app) {
  const scripts = [];
  page.on('requestfinished', async (request) => {
    const url = new URL(request.url());
    if (url.origin !== app || request.resourceType() !== 'script') return;
    const response = await request.response();
    const sizes = await request.sizes();
    scripts.push({
      path: url.pathname,
      startedAt: request.timing().startTime,
      encoding: response?.headers()['content-encoding'] ?? 'identity',
      sent: sizes.responseBodySize,
    });
  });
  return scripts;
}

/** A script's bytes: the built file, or (for a script the server makes) its body, not compressed. */
async function scriptBytes(app, path) {
  const file = join(ROOT, 'build/client', path);
  if (existsSync(file)) return readFileSync(file);
  const response = await fetch(app + path, { headers: { 'accept-encoding': 'identity' } });
  if (!response.ok) throw new Error(`${path} answered ${response.status}`);
  return Buffer.from(await response.arrayBuffer());
}

/** Sizes of a page's scripts: the built files' bytes, their gzip -9, and what the server sent. */
async function pageJs(app, scripts) {
  const unique = new Map(scripts.map((s) => [s.path, s]));
  let raw = 0;
  let gzip = 0;
  let sent = 0;
  const encodings = new Set();
  const gzipByPath = {};
  for (const [path, script] of unique) {
    const bytes = await scriptBytes(app, path);
    raw += bytes.length;
    gzipByPath[path] = gzipSize(bytes);
    gzip += gzipByPath[path];
    sent += script.sent;
    encodings.add(script.encoding);
  }
  return { files: unique.size, raw, gzip, sent, encodings: [...encodings].sort(), gzipByPath };
}

/**
 * The JavaScript of each page on a cold load: one sign-in with the cache off, the consent page's
 * scripts until Continue is ready, the callback document's until the token set is stored (after
 * that it fetches home's code to go there), then home opened afresh while signed in.
 */
async function pageFigures(browser, app, issuer) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await coldCache(context, page);
    const consentScripts = recordScripts(page, app);
    const proceed = await openConsent(page, app);
    const consent = await pageJs(app, consentScripts);
    const callbackScripts = recordScripts(page, app);
    consentScripts.length = 0;
    await continueToSignedIn(page, proceed, app, issuer);
    const stored = await callbackToStored(page);
    const callback = await pageJs(
      app,
      callbackScripts.filter((s) => s.startedAt <= stored.epoch),
    );

    const home = await context.newPage();
    await coldCache(context, home);
    const homeScripts = recordScripts(home, app);
    await home.goto(app);
    await home.getByRole('heading', { name: /^Signed in/ }).waitFor();
    await home.getByRole('link', { name: 'Quarterly chiller service' }).first().waitFor();
    await home.waitForLoadState('networkidle');
    return { consent, callback, home: await pageJs(app, homeScripts) };
  } finally {
    await context.close();
  }
}

/**
 * Records the page's requests into `log.requests` while `log.recording` is true, through the
 * DevTools protocol, not Playwright's events: only it tells a cache hit from a request that went
 * to a server, and it shows redirects and CORS preflights as requests of their own.
 */
async function recordPageRequests(context, page, log) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  const byId = new Map();
  cdp.on('Network.requestWillBeSent', ({ requestId, request, type, redirectResponse }) => {
    if (!log.recording) return;
    const previous = byId.get(requestId);
    if (previous && redirectResponse) previous.status = redirectResponse.status;
    const entry = {
      url: request.url,
      method: request.method,
      resourceType: (type ?? 'Other').toLowerCase(),
      navigation: type === 'Document',
      fromCache: false,
      fromServiceWorker: false,
      status: undefined,
    };
    byId.set(requestId, entry);
    log.requests.push(entry);
  });
  cdp.on('Network.requestServedFromCache', ({ requestId }) => {
    const entry = byId.get(requestId);
    if (entry) entry.fromCache = true;
  });
  cdp.on('Network.responseReceived', ({ requestId, response }) => {
    const entry = byId.get(requestId);
    if (!entry) return;
    entry.status = response.status;
    if (response.fromDiskCache || response.fromPrefetchCache) entry.fromCache = true;
    if (response.fromServiceWorker) entry.fromServiceWorker = true;
  });
}

/**
 * Records the service worker's own requests (the code exchange, when a worker controls the
 * callback), which are not the page's: Playwright reports them on the context. The worker's CORS
 * preflights are not reported, and its pass-through of the callback page is already the page's
 * navigation. Returns the worker's token requests as [start, end] in ms since the epoch.
 */
function recordWorkerRequests(context, app, log) {
  const workerToken = [];
  context.on('request', (request) => {
    if (!log.recording || !request.serviceWorker() || new URL(request.url()).origin === app) return;
    const entry = {
      url: request.url(),
      method: request.method(),
      resourceType: request.resourceType(),
      navigation: false,
      fromCache: false,
      fromServiceWorker: false,
      byWorker: true,
      status: undefined,
    };
    log.requests.push(entry);
    void request.response().then((response) => {
      entry.status = response?.status();
      const { startTime, responseEnd } = request.timing();
      if (new URL(entry.url).pathname === '/token') workerToken.push([startTime, startTime + responseEnd]);
    });
  });
  return workerToken;
}

/** What the sandbox counted between two readings of its stats. */
function serverCounts(before, after) {
  return {
    tokenRequests: after.token.requests - before.token.requests,
    nonceChallenges: after.token.nonceChallenges - before.token.nonceChallenges,
    pushes: after.pushedAuthorization.requests - before.pushedAuthorization.requests,
    pushNonceChallenges: after.pushedAuthorization.nonceChallenges - before.pushedAuthorization.nonceChallenges,
    authorizations: after.authorization.requests - before.authorization.requests,
    apiRequests: after.api.requests - before.api.requests,
  };
}

/** The callback timing with the token exchange the worker made, when it made one, on the page's clock. */
function withWorkerExchange(stored, workerToken) {
  if (!workerToken.length) return stored;
  // Playwright's times are ms since the epoch; the page's count from the callback's navigation.
  const navigationStart = stored.epoch - stored.ms;
  return {
    ...stored,
    tokenStartMs: Math.min(...workerToken.map(([start]) => start)) - navigationStart,
    tokenEndMs: Math.max(...workerToken.map(([, end]) => end)) - navigationStart,
  };
}

/**
 * One sign-in in a fresh browser context with the ordinary cache: every request from the click on
 * Continue until home shows the user signed in with their work orders, and the callback timing.
 */
async function timedSignIn(browser, origins, stats) {
  const { app, issuer } = origins;
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const proceed = await openConsent(page, app);
    const log = { recording: false, requests: [] };
    await recordPageRequests(context, page, log);
    const workerToken = recordWorkerRequests(context, app, log);
    const before = await stats();
    log.recording = true;
    await continueToSignedIn(page, proceed, app, issuer);
    await page.waitForLoadState('networkidle');
    log.recording = false;
    const after = await stats();
    const stored = withWorkerExchange(await callbackToStored(page), workerToken);
    return {
      exchangedByWorker: workerToken.length > 0,
      callbackToStoredMs: stored.ms,
      phases: {
        untilTokenRequest: stored.tokenStartMs,
        tokenExchange: stored.tokenEndMs - stored.tokenStartMs,
        storing: stored.ms - stored.tokenEndMs,
      },
      requests: log.requests,
      server: serverCounts(before, after),
    };
  } finally {
    await context.close();
  }
}

/** Runs everything in one Chromium; returns the page sizes, the timed runs and their requests. */
export async function browserFigures(origins, runs) {
  const stats = () => fetch(`${origins.issuer}/__sandbox/stats`).then((r) => r.json());
  const browser = await chromium.launch(LAUNCH);
  try {
    const pages = await pageFigures(browser, origins.app, origins.issuer);
    const signIns = [];
    for (let i = 0; i < runs; i += 1) signIns.push(await timedSignIn(browser, origins, stats));
    return { pages, signIns };
  } finally {
    await browser.close();
  }
}
