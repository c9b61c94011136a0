// Installable and offline: the web app manifest, the service worker's cache (what it holds and
// what it must never hold), opening the app with no network, and the notice shown when the
// browser deleted the stored sign-in (Safari's 7-day limit on script-writable storage).

import type { Page } from '@playwright/test';
import { APP_ORIGIN, DEMO, ISSUER } from './harness';
import {
  authorizationParams,
  expect,
  freshWorkOrders,
  idbRecords,
  sandboxStats,
  sealRecord,
  signIn,
  signInToHome,
  storedSession,
  test,
} from './fixtures';

test.use({ serviceWorkers: 'allow' });

const DEVICE_COOKIE = 'fp_signed_in';

/** Waits until the service worker is active and controls the page. */
async function serviceWorkerInControl(page: Page): Promise<void> {
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
}

/** Everything in Cache Storage: each entry's URL, request and response headers, and body as text. */
async function cacheContents(page: Page) {
  return page.evaluate(async () => {
    const entries: Array<{ cache: string; url: string; headers: string[]; body: string }> = [];
    for (const name of await caches.keys()) {
      const cache = await caches.open(name);
      for (const request of await cache.keys()) {
        const response = (await cache.match(request))!;
        entries.push({
          cache: name,
          url: request.url,
          headers: [...request.headers.keys(), ...response.headers.keys()],
          body: await response.text(),
        });
      }
    }
    return entries;
  });
}

/**
 * Deletes what Safari deletes after 7 days without use — the IndexedDB database, Cache Storage
 * and the service worker — and keeps the cookies, the way the browser does it: through the
 * DevTools protocol, which closes whatever connection the page or the worker still holds open.
 */
async function wipeScriptStorage(page: Page): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Storage.clearDataForOrigin', {
    origin: APP_ORIGIN,
    storageTypes: 'indexeddb,cache_storage,service_workers',
  });
  await cdp.detach();
  expect(await page.evaluate(async () => (await navigator.serviceWorker.getRegistrations()).length)).toBe(0);
  expect(await page.evaluate(async () => (await caches.keys()).length)).toBe(0);
}

/** Opens a page and waits until it has asked the server about an earlier sign-in. */
async function openAndAskDevice(page: Page, path: string): Promise<void> {
  const asked = page.waitForResponse((r) => r.url() === `${APP_ORIGIN}/api/device` && r.request().method() === 'GET');
  await page.goto(path);
  expect((await asked).status()).toBe(200);
}

test(
  'after one online visit the app opens offline, still signed in, on any page',
  { tag: '@device' },
  async ({ page, context }) => {
    const cspViolations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    await signIn(page);
    await expect(page.getByRole('heading', { name: `Signed in as ${DEMO.name}` })).toBeVisible();
    await serviceWorkerInControl(page);
    const before = (await storedSession(page)) as { refresh_token: string };

    await context.setOffline(true);
    await page.reload();
    await expect(page.getByRole('heading', { name: `Signed in as ${DEMO.name}` })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
    // The lists cannot be fetched: the ones saved on this device are shown, marked as such.
    const workOrders = page.getByRole('region', { name: 'Work orders' });
    await expect(workOrders.getByTestId('saved-list')).toHaveText(
      /^(Offline|Cannot reach Fentu) — showing work orders fetched (today|yesterday) .+\.$/,
    );
    await expect(workOrders.getByRole('link', { name: 'Quarterly chiller service' })).toBeVisible();

    // A full navigation to another page gets the same shell, and the session is still there.
    await page.goto('/sign-in');
    await expect(page.getByRole('link', { name: 'Fieldpass' })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
    await expect(page.getByRole('heading', { name: 'Fentu could not be reached' })).toBeVisible();
    const after = (await storedSession(page)) as { refresh_token: string };
    expect(after.refresh_token).toBe(before.refresh_token);

    // Back online, the same tab carries on with live data.
    await context.setOffline(false);
    await page.getByRole('link', { name: 'Fieldpass' }).click();
    await expect(page.getByRole('link', { name: 'Quarterly chiller service' })).toBeVisible();
    expect(cspViolations).toEqual([]);
  },
);

test('the cache holds the app only: no callback, /api or other-origin URL, no token, no credential header (#59, #62)', async ({
  page,
}) => {
  // The service worker is in control before the sign-in, so the callback, the /api calls and the
  // Fentu calls all pass through it.
  await page.goto('/');
  await serviceWorkerInControl(page);
  await signInToHome(page);
  await expect.poll(async () => (await page.context().cookies()).some((c) => c.name === DEVICE_COOKIE)).toBe(true);
  await page.reload();
  await freshWorkOrders(page);

  const session = (await storedSession(page)) as Record<string, unknown>;
  const tokens = ['access_token', 'refresh_token', 'id_token']
    .map((name) => session[name])
    .filter((value): value is string => typeof value === 'string');
  expect(tokens.length).toBeGreaterThanOrEqual(2);

  const entries = await cacheContents(page);
  const urls = entries.map((e) => e.url);
  // What it should hold: the shell, the build's files, the manifest and icons.
  expect(urls).toContain(`${APP_ORIGIN}/`);
  expect(urls).toContain(`${APP_ORIGIN}/manifest.webmanifest`);
  expect(urls.some((url) => url.startsWith(`${APP_ORIGIN}/_app/immutable/`))).toBe(true);
  for (const entry of entries) {
    const url = new URL(entry.url);
    expect(url.origin, entry.url).toBe(APP_ORIGIN);
    expect(url.pathname, entry.url).not.toMatch(/^\/(inspect\/)?callback/);
    expect(url.pathname, entry.url).not.toMatch(/^\/api(\/|$)/);
    expect(url.search, entry.url).toBe('');
    expect(entry.headers, entry.url).not.toContain('authorization');
    expect(entry.headers, entry.url).not.toContain('dpop');
    expect(entry.headers, entry.url).not.toContain('set-cookie');
    for (const token of tokens) expect(entry.body.includes(token), `${entry.url} holds a token`).toBe(false);
  }
  expect(new Set(entries.map((e) => e.cache)).size).toBe(1);
});

test('a sign-in callback opened offline runs no exchange and says so; Try again finishes it online', async ({
  page,
  context,
  request,
}) => {
  await page.goto('/');
  await serviceWorkerInControl(page);
  // A real attempt: its pending record is stored, and the authorization request carries its state.
  let state = '';
  page.on('request', (r) => {
    state = authorizationParams(r)?.get('state') ?? state;
  });
  await page.goto('/sign-in');
  await page.getByRole('button', { name: 'Continue to Fentu' }).click();
  await page.waitForURL(`${ISSUER}/**`);
  expect(state).not.toBe('');
  const before = await sandboxStats(request);

  await context.setOffline(true);
  await page.goto(`/callback?code=not-yet-used&state=${encodeURIComponent(state)}&iss=${encodeURIComponent(ISSUER)}`);
  await expect(page.getByRole('heading', { name: 'You are offline' })).toBeVisible();
  await expect(page.getByText('Fieldpass cannot finish signing you in without a connection')).toBeVisible();
  await expect(page.getByRole('link', { name: 'Start signing in again' })).toBeVisible();
  // Not the app shell: no app script ran, so the attempt still waits and nothing was exchanged.
  await expect(page.getByRole('button', { name: 'Sign out' })).toHaveCount(0);
  expect(await page.evaluate(() => document.scripts.length)).toBe(0);
  expect((await sandboxStats(request)).token.requests).toBe(before.token.requests);
  const records = await idbRecords(page);
  expect(Object.keys(records)).toContain(`pending:${state}`);
  expect(records).not.toHaveProperty('session');

  // Online again, Try again opens the real callback page: it takes the code out of the address
  // bar and uses the attempt (the made-up code is then refused by the server, as it should be).
  await context.setOffline(false);
  await page.getByRole('link', { name: 'Try again' }).click();
  await expect(page.getByRole('link', { name: 'Start again' })).toBeVisible();
  expect(new URL(page.url()).search).toBe('');
  expect((await sandboxStats(request)).token.requests).toBeGreaterThan(before.token.requests);
  expect(await idbRecords(page)).not.toHaveProperty(`pending:${state}`);
});

test('the web app manifest is served as such, with icons that exist in the sizes it names', async ({
  page,
  request,
}) => {
  await page.goto('/');
  const href = await page.locator('link[rel="manifest"]').getAttribute('href');
  const themeColor = await page.locator('meta[name="theme-color"]').getAttribute('content');
  const response = await request.get(new URL(href!, APP_ORIGIN).href);
  expect(response.status()).toBe(200);
  expect(response.headers()['content-type']).toMatch(/^application\/manifest\+json/);
  const manifest = await response.json();
  expect(manifest).toMatchObject({
    name: 'Fieldpass',
    short_name: 'Fieldpass',
    start_url: '/',
    scope: '/',
    display: 'standalone',
    theme_color: themeColor,
  });
  const icons = manifest.icons as Array<{ src: string; sizes: string; type: string; purpose: string }>;
  expect(icons.map((i) => `${i.sizes} ${i.purpose}`)).toEqual(
    expect.arrayContaining(['192x192 any', '512x512 any', '512x512 maskable', 'any any']),
  );
  for (const icon of icons) {
    const file = await request.get(new URL(icon.src, APP_ORIGIN).href);
    expect(file.status(), icon.src).toBe(200);
    expect(file.headers()['content-type'], icon.src).toContain(icon.type);
    if (icon.type === 'image/png') {
      const png = await file.body();
      expect(png.subarray(1, 4).toString('latin1'), icon.src).toBe('PNG');
      expect(`${png.readUInt32BE(16)}x${png.readUInt32BE(20)}`, icon.src).toBe(icon.sizes);
    }
  }
  const apple = await page.locator('link[rel="apple-touch-icon"]').getAttribute('href');
  expect((await request.get(new URL(apple!, APP_ORIGIN).href)).status()).toBe(200);
});

test(
  'storage deleted by the browser: sign-in and home say so; after a sign-out they do not',
  { tag: '@device' },
  async ({ page, context }) => {
    await signIn(page);
    await expect(page.getByRole('heading', { name: `Signed in as ${DEMO.name}` })).toBeVisible();
    await expect.poll(async () => (await context.cookies()).find((c) => c.name === DEVICE_COOKIE)).toBeTruthy();
    const cookie = (await context.cookies()).find((c) => c.name === DEVICE_COOKIE)!;
    // A marker only: no token, nothing about the user; out of reach of scripts; kept for 400 days.
    expect(cookie.value).toMatch(/^1\.\d{4}-\d{2}-\d{2}\.\d{4}-\d{2}-\d{2}$/);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    expect(cookie.expires * 1000 - Date.now()).toBeGreaterThan(399 * 86_400_000);
    expect(await page.evaluate(() => document.cookie)).not.toContain(DEVICE_COOKIE);

    await wipeScriptStorage(page);
    await openAndAskDevice(page, '/');
    const notice = page.getByTestId('eviction-notice');
    await expect(notice).toContainText('You were signed in on this device before');
    await expect(notice).toContainText('Safari on iPad in particular');
    await expect(notice).toContainText('Work orders waiting on this device to be sent may have been deleted too');
    await expect(page.getByRole('link', { name: 'Sign in' }).first()).toBeVisible();
    await openAndAskDevice(page, '/sign-in');
    await expect(notice).toBeVisible();
    await expect(page.getByRole('button', { name: 'Continue to Fentu' })).toBeVisible();

    // Signing in again: the notice goes. (The sandbox's own login cookies go first, so its login
    // page is shown again; they share the host 127.0.0.1 with the app's marker, which stays.)
    await context.clearCookies({ name: new RegExp(`^(?!${DEVICE_COOKIE}$)`) });
    await signIn(page);
    await expect(page.getByRole('heading', { name: `Signed in as ${DEMO.name}` })).toBeVisible();
    await expect(notice).toHaveCount(0);

    // An explicit sign-out clears the marker: no notice now, on a reload, or even if storage goes too.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page.getByText('You are signed out.')).toBeVisible();
    await expect(notice).toHaveCount(0);
    expect((await context.cookies()).some((c) => c.name === DEVICE_COOKIE)).toBe(false);
    await openAndAskDevice(page, '/');
    await expect(page.getByRole('heading', { name: 'Your Fentu work orders, wherever the job is' })).toBeVisible();
    await expect(notice).toHaveCount(0);
    await wipeScriptStorage(page);
    await openAndAskDevice(page, '/sign-in');
    await expect(page.getByRole('button', { name: 'Continue to Fentu' })).toBeVisible();
    await expect(notice).toHaveCount(0);
  },
);

test('a session left by another configured client is signed out, and not taken for storage the browser deleted', async ({
  page,
  context,
}) => {
  await signIn(page);
  await expect(page.getByRole('heading', { name: `Signed in as ${DEMO.name}` })).toBeVisible();
  await expect.poll(async () => (await context.cookies()).some((c) => c.name === DEVICE_COOKIE)).toBe(true);
  // As if the app had been configured with another client since this session was stored (#61).
  const session = await storedSession(page);
  await sealRecord(page, 'session', { ...session, client_id: 'an-earlier-client' });

  await openAndAskDevice(page, '/sign-in');
  await expect(page.getByRole('button', { name: 'Continue to Fentu' })).toBeVisible();
  await expect(page.getByTestId('eviction-notice')).toHaveCount(0);
  expect(await storedSession(page)).toBeUndefined();
  expect((await context.cookies()).some((c) => c.name === DEVICE_COOKIE)).toBe(false);
});

test('another origin cannot set or clear the marker, even on the same site (#84)', async ({ page, context }) => {
  const fromSandbox = async (method: 'POST' | 'DELETE') => {
    await page.goto(`${ISSUER}/.well-known/openid-configuration`);
    await page.evaluate(
      async ({ url, method }) => {
        // A form-like request needs no preflight and reaches the server; the custom header would
        // need a preflight, which the endpoint never answers for another origin.
        await fetch(url, { method, mode: 'no-cors', credentials: 'include' }).catch(() => undefined);
        await fetch(url, { method, credentials: 'include', headers: { 'x-fieldpass-device': '1' } }).catch(
          () => undefined,
        );
      },
      { url: `${APP_ORIGIN}/api/device`, method },
    );
  };
  const marker = async () => (await context.cookies(APP_ORIGIN)).find((c) => c.name === DEVICE_COOKIE)?.value;

  await fromSandbox('POST');
  expect(await marker()).toBeUndefined();

  await signIn(page);
  await expect(page.getByRole('heading', { name: `Signed in as ${DEMO.name}` })).toBeVisible();
  await expect.poll(marker).toBeTruthy();
  await fromSandbox('DELETE');
  expect(await marker()).toBeTruthy();
});
