// A session that survives real life: several tabs, lost answers, offline periods, stolen tokens,
// rate limits and missing permissions — observed in the browser and at the sandbox.

import type { Page } from '@playwright/test';
import { DPOP_KEY } from '#lib/oauth/dpop.ts';
import { DATABASE_NAME, STORE_NAME } from '#lib/base/record-names.ts';
import { SEALING_KEY } from '#lib/storage/sealed-store.ts';
import {
  configureSandbox,
  expect,
  expectSandboxSteady,
  fetchWithProof,
  freshWorkOrders,
  holdsFor,
  idbRecords,
  nextAuthorizationParams,
  presentRefreshToken,
  presentRefreshTokenFromApp,
  recordTokenResponses,
  sandboxStats,
  signIn,
  signInToHome,
  signedInHeading,
  storedSession,
  test,
} from './fixtures';
import { API_BASE_URL, ISSUER } from './harness';

/** Where the app keeps its records, passed to code that runs in the page. */
const STORAGE = { database: DATABASE_NAME, store: STORE_NAME };
const isRefresh = (body: string | null) => new URLSearchParams(body ?? '').get('grant_type') === 'refresh_token';

test('sign-in and sign-out reach every open tab within a second (#47)', async ({ context, page }) => {
  const other = await context.newPage();
  await other.goto('/');
  await expect(other.getByRole('link', { name: 'Sign in' }).first()).toBeVisible();

  await signIn(page);
  await expect(signedInHeading(page)).toBeVisible();
  await expect(signedInHeading(other)).toBeVisible({ timeout: 1_000 });

  await other.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('link', { name: 'Sign in' }).first()).toBeVisible({ timeout: 1_000 });
  await expect(page.getByRole('button', { name: 'Sign out' })).toHaveCount(0);
});

test('invalid_grant ends the session in every tab, once, with a plain message (#47)', async ({
  context,
  page,
  request,
}) => {
  // Every tab's token responses: whichever tab refreshes, the first refresh token is rotated out.
  const tokens = recordTokenResponses(context);
  await signInToHome(page, { sandbox: { accessTokenTtl: 4 } });
  const other = await context.newPage();
  await other.goto('/');
  await expect(signedInHeading(other)).toBeVisible();
  // Another holder of the key replays a rotated-out token: the server revokes the grant.
  await expect.poll(() => tokens.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
  const replay = await presentRefreshTokenFromApp(page, tokens[0].refresh_token);
  expect(replay.body.error).toBe('invalid_grant');
  const before = await sandboxStats(request);

  for (const tab of [page, other]) {
    await expect(tab.getByRole('heading', { name: 'Your session has ended' })).toBeVisible({ timeout: 15_000 });
    await expect(tab.getByRole('button', { name: 'Sign out' })).toHaveCount(0);
  }
  // One tab's refresh met invalid_grant; the other followed it without asking the server again.
  const rejected = async () => (await sandboxStats(request)).token.refresh.rejected - before.token.refresh.rejected;
  await expect.poll(rejected).toBe(1);
  await holdsFor(5_000, async () => expect(await rejected()).toBe(1));
  expect(await storedSession(page)).toBeUndefined();
});

test('reopened after the refresh token expired: back to Sign in with the reason, no loop', async ({
  page,
  request,
}) => {
  // The refresh tokens the sandbox still holds: this test's expire together (a rotated one keeps
  // the time left of the one it replaced), every other test's live for days.
  const liveRefreshTokens = async () => {
    const { active, consumed } = (await sandboxStats(request)).refreshTokens;
    return active + consumed;
  };
  const othersLive = await liveRefreshTokens();
  await configureSandbox(request, { accessTokenTtl: 2, refreshTokenTtl: 8 });
  await signIn(page);
  await expect(signedInHeading(page)).toBeVisible();
  await page.goto('about:blank');
  await expect.poll(liveRefreshTokens, { timeout: 15_000 }).toBeLessThanOrEqual(othersLive);

  await page.goto('/');

  await expect(page.getByRole('heading', { name: 'Your session has ended' })).toBeVisible();
  await expect(page.getByText('Your sign-in expired or was revoked.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Sign in again' })).toBeVisible();
  await expectSandboxSteady(request, (stats) => stats.token.refresh.rejected, 3_000);
});

test('tokens are DPoP-bound: the refresh token and access token are refused without the app key (#75, #79)', async ({
  page,
  request,
}) => {
  const tokens = recordTokenResponses(page);
  await signInToHome(page);
  const issued = tokens.at(-1)!;
  expect(issued.token_type).toBe('DPoP');
  const before = await sandboxStats(request);

  // A copy of the refresh token alone is refused, and it does not even count as reuse.
  const stolenRefresh = await presentRefreshToken(request, issued.refresh_token);
  expect(stolenRefresh.status).toBe(400);
  expect(['invalid_grant', 'invalid_dpop_proof', 'invalid_request']).toContain(stolenRefresh.body.error);
  // With a proof from another key, it is refused too.
  const otherKey = await presentRefreshTokenFromApp(page, issued.refresh_token, { otherKey: true });
  expect(otherKey.status).toBe(400);
  expect(otherKey.body.error).toBe('invalid_grant');
  // A copy of the access token alone, as a Bearer token, is refused by the API.
  const stolenAccess = await request.get(`${API_BASE_URL}/work-orders`, {
    headers: { authorization: `Bearer ${issued.access_token}` },
  });
  expect(stolenAccess.status()).toBe(401);
  // And with a proof signed by another key (#79).
  const otherProof = await fetchWithProof(page, {
    url: `${API_BASE_URL}/work-orders`,
    method: 'GET',
    accessToken: issued.access_token,
    otherKey: true,
  });
  expect(otherProof.status).toBe(401);
  // The same request with the app's own key is accepted: the refusals above are about the key.
  const ownProof = await fetchWithProof(page, {
    url: `${API_BASE_URL}/work-orders`,
    method: 'GET',
    accessToken: issued.access_token,
  });
  expect(ownProof.status).toBe(200);
  const after = await sandboxStats(request);
  expect(after.token.refresh.reuseDetected).toBe(before.token.refresh.reuseDetected);

  // The app itself, holding the key, carries on.
  await page.getByRole('button', { name: 'Reload' }).first().click();
  await expect(page.getByRole('link', { name: 'Quarterly chiller service' })).toBeVisible();

  // The private key cannot be exported, and the stored token set is ciphertext (#61, #75).
  const keys = await page.evaluate(
    async ({ database, store, dpopKey, sealingKey }) => {
      const open = indexedDB.open(database);
      const db = await new Promise<IDBDatabase>((resolve) => (open.onsuccess = () => resolve(open.result)));
      const get = (name: string) =>
        new Promise<unknown>((resolve) => {
          const request = db.transaction(store).objectStore(store).get(name);
          request.onsuccess = () => resolve(request.result);
        });
      const dpop = (await get(dpopKey)) as CryptoKeyPair;
      const aes = (await get(sealingKey)) as CryptoKey;
      const refuses = (key: CryptoKey) =>
        crypto.subtle.exportKey('jwk', key).then(
          () => false,
          () => true,
        );
      return {
        dpopExtractable: dpop.privateKey.extractable,
        dpopExportRefused: await refuses(dpop.privateKey),
        aesExtractable: aes.extractable,
        aesExportRefused: await refuses(aes),
      };
    },
    { ...STORAGE, dpopKey: DPOP_KEY, sealingKey: SEALING_KEY },
  );
  expect(keys).toEqual({
    dpopExtractable: false,
    dpopExportRefused: true,
    aesExtractable: false,
    aesExportRefused: true,
  });
  const raw = JSON.stringify(await idbRecords(page), (_key, value: unknown) =>
    value instanceof Object && 'byteLength' in value ? '[bytes]' : value,
  );
  const rawBytes = await page.evaluate(async ({ database, store }) => {
    const open = indexedDB.open(database);
    const db = await new Promise<IDBDatabase>((resolve) => (open.onsuccess = () => resolve(open.result)));
    const record = await new Promise<{ data: ArrayBuffer }>((resolve) => {
      const request = db.transaction(store).objectStore(store).get('session');
      request.onsuccess = () => resolve(request.result);
    });
    return new TextDecoder('latin1').decode(record.data);
  }, STORAGE);
  for (const token of [issued.access_token, issued.refresh_token]) {
    expect(raw).not.toContain(token);
    expect(rawBytes).not.toContain(token);
  }
  expect((await storedSession(page))?.refresh_token).toBe(issued.refresh_token);
});

/** The server rotates the refresh token, then the connection drops before its answer arrives. */
async function dropNextRefreshAnswer(page: Page): Promise<void> {
  let dropped = false;
  await page.route(`${ISSUER}/token`, async (route) => {
    if (dropped || !isRefresh(route.request().postData())) return route.fallback();
    const response = await route.fetch();
    if (response.status() !== 200) return route.fulfill({ response });
    dropped = true;
    return route.abort('connectionreset');
  });
}

test('a refresh whose answer was lost: one reuse detection, a plain message, back in with two taps', async ({
  page,
  request,
}) => {
  await signInToHome(page, { sandbox: { accessTokenTtl: 4 } });
  const before = await sandboxStats(request);

  await dropNextRefreshAnswer(page);

  await expect(page.getByRole('heading', { name: 'Your sign-in was lost on the way back from Fentu' })).toBeVisible({
    timeout: 20_000,
  });
  const ended = await sandboxStats(request);
  expect(ended.token.refresh.succeeded - before.token.refresh.succeeded).toBe(1);
  expect(ended.token.refresh.reuseDetected - before.token.refresh.reuseDetected).toBe(1);
  expect(await storedSession(page)).toBeUndefined();
  // No loop: nothing more is sent once the session has ended.
  await expectSandboxSteady(request, (stats) => stats.token.refresh.rejected, 5_000);

  // Tap one: Sign in again goes straight to Fentu with the same permissions. Tap two: Allow
  // (the grant was revoked, so Fentu asks again; the login itself is remembered).
  await page.getByRole('button', { name: 'Sign in again' }).click();
  await page.waitForURL(`${ISSUER}/**`);
  await expect(page.getByLabel('Password')).toHaveCount(0);
  await page.getByRole('button', { name: 'Allow' }).click();
  await expect(signedInHeading(page)).toBeVisible();
  await expect(page.getByRole('link', { name: 'Quarterly chiller service' })).toBeVisible();
});

test('a refresh whose answer was lost, on a server with a reuse grace window: retried at once, nothing noticed', async ({
  page,
  request,
}) => {
  // A one-second window: only a retry made at once, not one after the back-off, falls inside it.
  await signInToHome(page, { sandbox: { accessTokenTtl: 4, refreshGrace: 1 } });
  const before = await sandboxStats(request);

  await dropNextRefreshAnswer(page);

  await expect
    .poll(async () => (await sandboxStats(request)).token.refresh.graceReplays, { timeout: 15_000 })
    .toBe(before.token.refresh.graceReplays + 1);
  const after = await sandboxStats(request);
  expect(after.token.refresh.reuseDetected).toBe(before.token.refresh.reuseDetected);
  await expect(signedInHeading(page)).toBeVisible();
  await page.getByRole('region', { name: 'Work orders' }).getByRole('button', { name: 'Reload' }).click();
  await expect(page.getByRole('link', { name: 'Quarterly chiller service' })).toBeVisible();
  expect((await sandboxStats(request)).api.byStatus['401'] ?? 0).toBe(before.api.byStatus['401'] ?? 0);
});

test('refresh fails while the server is down: the session stays, a quiet line says so, and it recovers (#49)', async ({
  page,
  request,
}) => {
  await signInToHome(page, { sandbox: { accessTokenTtl: 4 } });
  const refreshToken = (await storedSession(page))?.refresh_token;
  let down = true;
  const refused: number[] = [];
  await page.route(`${ISSUER}/token`, (route) => {
    if (!down || !isRefresh(route.request().postData())) return route.fallback();
    refused.push(Date.now());
    return route.fulfill({ status: 503, contentType: 'application/json', body: '{"error":"temporarily_unavailable"}' });
  });

  await expect(page.getByTestId('connection')).toContainText('Fentu could not renew your sign-in just now', {
    timeout: 15_000,
  });
  await expect.poll(() => refused.length, { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
  // Calls made meanwhile do not hurry the next attempt: the back-off is shared by every caller.
  const beforeCalls = refused.length;
  for (const panel of ['Work orders', 'Customers', 'Assets']) {
    await page.getByRole('region', { name: panel }).getByRole('button', { name: 'Reload' }).click();
  }
  await holdsFor(500, () => expect(refused.length - beforeCalls).toBeLessThanOrEqual(1));
  await expect.poll(() => refused.length, { timeout: 20_000 }).toBeGreaterThanOrEqual(3);
  // Back-off with jitter grows: at least 1 s, then at least 2 s (the lower bounds of 1–2 s and 2–4 s).
  expect(refused[1] - refused[0]).toBeGreaterThanOrEqual(1_000);
  expect(refused[2] - refused[1]).toBeGreaterThanOrEqual(2_000);
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
  expect((await storedSession(page))?.refresh_token).toBe(refreshToken);

  const before = await sandboxStats(request);
  down = false;
  await expect(page.getByTestId('connection')).toHaveCount(0, { timeout: 30_000 });
  expect((await sandboxStats(request)).token.refresh.succeeded).toBeGreaterThan(before.token.refresh.succeeded);
  expect((await storedSession(page))?.refresh_token).not.toBe(refreshToken);
  await expect(page.getByRole('heading', { name: 'Your session has ended' })).toHaveCount(0);
});

test('offline: the app says so, keeps the session, and refreshes as soon as the device is back online', async ({
  context,
  page,
  request,
}) => {
  await signInToHome(page, { sandbox: { accessTokenTtl: 4 } });
  await context.setOffline(true);
  await expect(page.getByTestId('connection')).toContainText('Offline');
  // Offline past the access token's expiry, so its refresh was due and could not be made.
  const expiresAt = Number((await storedSession(page))?.expires_at);
  await expect.poll(() => page.evaluate(() => Date.now()), { timeout: 10_000 }).toBeGreaterThan(expiresAt);
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
  const before = await sandboxStats(request);

  await context.setOffline(false);

  await expect(page.getByTestId('connection')).toHaveCount(0, { timeout: 5_000 });
  await expect
    .poll(async () => (await sandboxStats(request)).token.refresh.succeeded - before.token.refresh.succeeded)
    .toBeGreaterThanOrEqual(1);
  await page.getByRole('button', { name: 'Reload' }).first().click();
  await expect(page.getByRole('link', { name: 'Quarterly chiller service' })).toBeVisible();
  expect((await sandboxStats(request)).token.refresh.reuseDetected).toBe(before.token.refresh.reuseDetected);
});

test('the API rate limit: a countdown to Retry-After, then exactly one retry that succeeds', async ({
  page,
  request,
}) => {
  // Three lists on the home page use up the limit of 3; the window resets after 5 s.
  await signInToHome(page, { sandbox: { rateLimit: 3, rateLimitWindow: 5 } });
  const before = await sandboxStats(request);

  await page.getByRole('button', { name: 'Reload' }).first().click();

  await expect(page.getByRole('heading', { name: 'Too many requests for now' })).toBeVisible();
  await expect(page.getByTestId('countdown')).toContainText(/Trying again in \d+ s/);
  await expect(page.getByRole('link', { name: 'Quarterly chiller service' })).toBeVisible({ timeout: 10_000 });
  const after = await sandboxStats(request);
  expect((after.api.byStatus['429'] ?? 0) - (before.api.byStatus['429'] ?? 0)).toBe(1);
  expect(after.api.byRoute['GET /work-orders'] - before.api.byRoute['GET /work-orders']).toBe(2);
});

test('403 insufficient_scope offers consent for exactly the missing scope, and then it is granted (#50)', async ({
  page,
  request,
}) => {
  // A server that leaves `scope` out of its token response (RFC 6749 §5.1), so the app assumes it
  // got everything it asked for; the real sandbox always lists it, hence the rewrite.
  await page.route(`${ISSUER}/token`, async (route) => {
    const response = await route.fetch();
    if (response.status() !== 200) return route.fulfill({ response });
    const body = (await response.json()) as Record<string, unknown>;
    delete body.scope;
    return route.fulfill({ response, json: body });
  });
  await signIn(page, { refuseAtServer: ['read:customers'] });
  await expect(signedInHeading(page)).toBeVisible();
  await page.unroute(`${ISSUER}/token`);

  // The API refuses the customer list: the app names the permission and offers exactly it.
  const customers = page.getByRole('region', { name: 'Customers' });
  const allow = customers.getByRole('button', { name: 'Allow: View customers' });
  await expect(allow).toBeVisible();
  await expect(customers.getByText('You have not given Fieldpass this permission')).toBeVisible();
  const before = await sandboxStats(request);
  const authorize = nextAuthorizationParams(page);
  await allow.click();
  const asked = (await authorize).get('scope')!.split(' ');
  expect(asked).toContain('read:customers');
  expect(asked).not.toContain('admin');

  await expect(page.getByRole('checkbox', { name: 'read:customers' })).toBeVisible();
  await page.getByRole('button', { name: 'Allow' }).click();

  await expect(page.getByRole('cell', { name: 'Harbourside Medical Centre' })).toBeVisible();
  expect(String((await storedSession(page))?.scope).split(' ')).toContain('read:customers');
  const after = await sandboxStats(request);
  expect(after.api.byStatus['403'] ?? 0).toBe(before.api.byStatus['403'] ?? 0);
  // A new authorization, not a refresh, added the scope (#50).
  expect(after.token.byGrantType.authorization_code).toBe((before.token.byGrantType.authorization_code ?? 0) + 1);
});

test('five tabs, twenty API calls each, across several expiries: one refresh per expiry, no reuse, all signed in (#46)', async ({
  context,
  page,
  request,
}) => {
  test.setTimeout(120_000);
  const ttl = 6;
  await signInToHome(page, { sandbox: { accessTokenTtl: ttl } });
  const tabs = [page];
  for (let i = 1; i < 5; i += 1) {
    const tab = await context.newPage();
    await tab.goto('/');
    await freshWorkOrders(tab);
    tabs.push(tab);
  }
  const before = await sandboxStats(request);
  const started = Date.now();

  await Promise.all(
    tabs.map(async (tab, index) => {
      for (let call = 0; call < 20; call += 1) {
        const answered = tab.waitForResponse(
          (r) => r.url() === `${API_BASE_URL}/work-orders` && r.request().method() === 'GET',
        );
        await tab.getByRole('button', { name: 'Reload' }).first().click();
        expect((await answered).status(), `tab ${index} call ${call}`).toBe(200);
        // A person's pace between taps, different in each tab: the calls spread over several expiries.
        await tab.waitForTimeout(700 + ((index * 137 + call * 71) % 400));
      }
    }),
  );

  const elapsed = Date.now() - started;
  const after = await sandboxStats(request);
  const refreshes = after.token.refreshTimes.filter((t) => t >= started);
  // Several expiries were crossed, and each was refreshed once: with a 6 s token refreshed when
  // 3 s are left, two refreshes for the same expiry would come within moments of each other.
  expect(elapsed).toBeGreaterThan(2 * ttl * 1000);
  expect(refreshes.length).toBeGreaterThanOrEqual(Math.max(3, Math.floor(elapsed / (ttl * 1000))));
  for (let i = 1; i < refreshes.length; i += 1) expect(refreshes[i] - refreshes[i - 1]).toBeGreaterThan(2_000);
  expect(after.token.refresh.reuseDetected).toBe(before.token.refresh.reuseDetected);
  expect(after.token.refresh.rejected).toBe(before.token.refresh.rejected);
  expect((after.api.byStatus['401'] ?? 0) - (before.api.byStatus['401'] ?? 0)).toBe(0);
  for (const tab of tabs) await expect(signedInHeading(tab)).toBeVisible();
});
