// Bad input and server limits: each ends on a plain message with a way forward, nothing stored.

import { APP_ORIGIN, ISSUER } from './harness';
import { appRecords, expect, idbRecords, nextAuthorizationParams, sandboxStats, signInToHome, test } from './fixtures';

test('pages carry a strict CSP header, cannot be framed, send no referrer; the callback is not cached (#67, #70, #32)', async ({
  request,
}) => {
  for (const path of ['/', '/sign-in', '/callback']) {
    const response = await request.get(`${APP_ORIGIN}${path}`);
    const headers = response.headers();
    const csp = headers['content-security-policy'] ?? '';
    expect(csp, path).toMatch(/script-src 'self' 'nonce-[^']+'/);
    expect(csp.match(/script-src[^;]*/)?.[0], path).not.toContain('unsafe');
    expect(csp, path).toContain("frame-ancestors 'none'");
    expect(csp, path).toContain("object-src 'none'");
    expect(csp, path).toContain(`connect-src 'self' ${ISSUER}`);
    expect(headers['x-frame-options'], path).toBe('DENY');
    expect(headers['referrer-policy'], path).toBe('no-referrer');
  }
  expect((await request.get(`${APP_ORIGIN}/callback`)).headers()['cache-control']).toBe('no-store');
});

test('the authorization server unreachable: the consent screen says so, names the address in its details, and recovers on Try again', async ({
  page,
}) => {
  let drop = true;
  // A network drop is a fault the real server will not produce on demand.
  await page.route(`${ISSUER}/.well-known/**`, (route) => (drop ? route.abort('connectionrefused') : route.fallback()));
  await page.goto('/sign-in');
  await expect(page.getByRole('heading', { name: 'Fentu could not be reached' })).toBeVisible();
  // Whoever supports the user learns which address failed.
  await page.getByText('Details for support').click();
  const address = page.getByRole('definition').filter({ hasText: `${ISSUER}/.well-known/` });
  await expect(address).toHaveText(`${ISSUER}/.well-known/openid-configuration`);
  drop = false;
  await page.getByRole('button', { name: 'Try again' }).click();
  await expect(page.getByRole('button', { name: 'Continue to Fentu' })).toBeVisible();
});

test('the API rate limit: a clear message with the time to retry, and the session is kept', async ({
  page,
  request,
}) => {
  // The home page's three lists use up the limit; the next call is refused.
  await signInToHome(page, { sandbox: { rateLimit: 3 } });
  const before = await sandboxStats(request);

  await page.getByRole('region', { name: 'Work orders' }).getByRole('button', { name: 'Reload' }).click();

  await expect(page.getByRole('heading', { name: 'Too many requests for now' })).toBeVisible();
  await expect(page.getByText(/Try again after/)).toBeVisible();
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
  const after = await sandboxStats(request);
  expect((after.api.byStatus['429'] ?? 0) - (before.api.byStatus['429'] ?? 0)).toBe(1);
  expect(await idbRecords(page)).toHaveProperty('session');
});

test('an error response with HTML in its description shows it as text only (#24, #68)', async ({ page, request }) => {
  const before = await sandboxStats(request);
  // A sign-in attempt this browser really started, answered with a hostile error response.
  await page.goto('/sign-in');
  const pushed = nextAuthorizationParams(page);
  await page.route(`${ISSUER}/authorize**`, async (route) => {
    const sent = await pushed;
    const callback = new URL(`${APP_ORIGIN}/callback`);
    callback.searchParams.set('error', 'invalid_scope');
    callback.searchParams.set('error_description', '<img src=x onerror="window.__pwned=1">');
    callback.searchParams.set('state', sent.get('state')!);
    callback.searchParams.set('iss', ISSUER);
    return route.fulfill({ status: 302, headers: { location: callback.href } });
  });
  await page.getByRole('button', { name: 'Continue to Fentu' }).click();

  await expect(page.getByRole('heading', { name: 'The Fentu server refused the sign-in' })).toBeVisible();
  await page.getByText('Details for support').click();
  await expect(page.getByText('<img src=x onerror="window.__pwned=1">')).toBeVisible();
  expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
  expect((await sandboxStats(request)).token.requests).toBe(before.token.requests);
  expect(await appRecords(page)).toEqual({});
});
