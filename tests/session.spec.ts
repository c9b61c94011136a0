// Refresh-token rotation and sign-out, observed at the sandbox.

import {
  appRecords,
  expect,
  expectSandboxSteady,
  freshWorkOrders,
  idbRecords,
  presentRefreshTokenFromApp,
  press,
  recordTokenResponses,
  sandboxStats,
  signInToHome,
  storedSession,
  test,
} from './fixtures';
import { ISSUER } from './harness';

test('a short-lived access token is refreshed, and the rotated-out refresh token is rejected (#44)', async ({
  page,
  request,
}) => {
  const tokens = recordTokenResponses(page);
  await signInToHome(page, { sandbox: { accessTokenTtl: 4 } });
  const before = await sandboxStats(request);
  const firstRefreshToken = tokens[0].refresh_token;

  // The app refreshes on its own before the 4-second token runs out.
  const refresh = await page.waitForRequest(
    (r) => r.url() === `${ISSUER}/token` && (r.postData() ?? '').includes('grant_type=refresh_token'),
    { timeout: 15_000 },
  );
  expect(new URLSearchParams(refresh.postData() ?? '').get('refresh_token')).toBe(firstRefreshToken);
  await expect
    .poll(async () => (await sandboxStats(request)).token.refresh.succeeded - before.token.refresh.succeeded)
    .toBeGreaterThanOrEqual(1);
  await expect.poll(() => tokens.length).toBeGreaterThanOrEqual(2);

  // The stored token set holds the rotated refresh token, not the first one.
  await expect
    .poll(async () => ((await storedSession(page)) as { refresh_token: string }).refresh_token)
    .not.toBe(firstRefreshToken);
  expect(tokens[1].refresh_token).not.toBe(firstRefreshToken);
  expect((await sandboxStats(request)).token.refresh.reuseDetected).toBe(before.token.refresh.reuseDetected);

  // The sandbox refuses the rotated-out token, even with a proof from the app's own key, and its
  // reuse revokes the whole grant...
  const replay = await presentRefreshTokenFromApp(page, firstRefreshToken);
  expect(replay.status).toBe(400);
  expect(replay.body.error).toBe('invalid_grant');
  expect((await sandboxStats(request)).token.refresh.reuseDetected).toBe(before.token.refresh.reuseDetected + 1);

  // ...so the app's next refresh fails, and the user is told plainly and offered Sign in, once.
  await expect(page.getByRole('heading', { name: 'Your session has ended' })).toBeVisible({ timeout: 15_000 });
  await expect(page.getByRole('link', { name: 'Sign in' }).first()).toBeVisible();
  expect(await idbRecords(page)).not.toHaveProperty('session');
  await expectSandboxSteady(request, (stats) => stats.token.refresh.rejected, 5_000);
});

test(
  'reopened after the access token expired: refreshed silently, no redirect',
  { tag: '@device' },
  async ({ page, request }) => {
    await signInToHome(page, { sandbox: { accessTokenTtl: 3 } });
    const expiresAt = Number((await storedSession(page))?.expires_at);
    await page.goto('about:blank');
    // Away until the access token the app holds has expired.
    await expect.poll(() => Date.now(), { timeout: 10_000 }).toBeGreaterThan(expiresAt);
    const before = await sandboxStats(request);

    await page.goto('/');

    await freshWorkOrders(page);
    const after = await sandboxStats(request);
    expect(after.authorization.requests).toBe(before.authorization.requests);
    expect(after.token.refresh.succeeded - before.token.refresh.succeeded).toBeGreaterThanOrEqual(1);
    expect(after.api.byStatus['401'] ?? 0).toBe(before.api.byStatus['401'] ?? 0);
  },
);

test(
  'sign out revokes the refresh token at the sandbox and clears IndexedDB (#53, #56)',
  { tag: '@device' },
  async ({ page, request }) => {
    const tokens = recordTokenResponses(page);
    await signInToHome(page);
    const refreshToken = tokens.at(-1)!.refresh_token;
    const before = await sandboxStats(request);

    await press(page.getByRole('button', { name: 'Sign out' }));

    await expect(page.getByText('You are signed out.')).toBeVisible();
    await expect(page.getByRole('link', { name: 'Sign in' }).first()).toBeVisible();
    const after = await sandboxStats(request);
    expect(after.revocation.byHint.refresh_token - (before.revocation.byHint.refresh_token ?? 0)).toBe(1);
    expect(await appRecords(page)).toEqual({});

    // Presented with a proof from the app's own key (which stays on the device), so only the
    // revocation can be why it is refused.
    const replay = await presentRefreshTokenFromApp(page, refreshToken);
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');

    await page.reload();
    await expect(page.getByRole('link', { name: 'Sign in' }).first()).toBeVisible();
    await expect(page.getByRole('button', { name: 'Sign out' })).toHaveCount(0);
  },
);

test('signed out with no connection: signed out here at once, and Fentu is told once the device is back online', async ({
  page,
  context,
  request,
}) => {
  const tokens = recordTokenResponses(page);
  await signInToHome(page);
  const refreshToken = tokens.at(-1)!.refresh_token;
  const before = await sandboxStats(request);

  await context.setOffline(true);
  await press(page.getByRole('button', { name: 'Sign out' }));
  await expect(page.getByText('Fieldpass will tell it as soon as it can be reached')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Sign out' })).toHaveCount(0);
  expect((await sandboxStats(request)).revocation.requests).toBe(before.revocation.requests);
  // Nothing is left of the session; what waits to be sent is sealed like every record.
  const records = await appRecords(page);
  expect(Object.keys(records)).toEqual(['revocations']);
  expect(JSON.stringify(await idbRecords(page))).not.toContain(refreshToken);

  await context.setOffline(false);
  await expect
    .poll(async () => (await sandboxStats(request)).revocation.byHint.refresh_token ?? 0)
    .toBe((before.revocation.byHint.refresh_token ?? 0) + 1);
  await expect.poll(async () => Object.keys(await appRecords(page))).toEqual([]);
  const replay = await presentRefreshTokenFromApp(page, refreshToken);
  expect(replay.body.error).toBe('invalid_grant');
});
