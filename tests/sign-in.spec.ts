// The sign-in foundation, end to end: real Chromium, the real oidc-provider sandbox, the stand-in
// Fentu API. Each test asserts what the user sees and what the servers recorded.

import { APP_ORIGIN, DEMO, ISSUER } from './harness';
import {
  appRecords,
  authorizationParams,
  expect,
  freshWorkOrders,
  idbRecords,
  recordTokenResponses,
  sandboxStats,
  signIn,
  storedSession,
  test,
} from './fixtures';

test('the consent screen lists every Fentu scope, preselects reads only and flags admin (#71)', async ({ page }) => {
  await page.goto('/sign-in');
  const expected: Array<[string, boolean]> = [
    ['read:work-orders', true],
    ['write:work-orders', false],
    ['read:customers', true],
    ['write:customers', false],
    ['read:assets', true],
    ['write:assets', false],
    ['admin', false],
  ];
  for (const [scope, checked] of expected) {
    const box = page.getByRole('checkbox', { name: scope });
    await expect(box, scope).toBeVisible();
    if (checked) await expect(box, scope).toBeChecked();
    else await expect(box, scope).not.toBeChecked();
  }
  await expect(page.getByText('Full administrative access to your whole Fentu account')).toBeVisible();
  for (const group of ['Work orders', 'Customers', 'Assets', 'Administration']) {
    await expect(page.getByRole('group', { name: group })).toBeVisible();
  }
});

test(
  'sign in with least-privilege scopes and see work orders from the API',
  { tag: '@device' },
  async ({ page, request }) => {
    const before = await sandboxStats(request);
    const authorizations: URLSearchParams[] = [];
    page.on('request', (r) => {
      const params = authorizationParams(r);
      if (params) authorizations.push(params);
    });

    await signIn(page);

    await expect(page.getByRole('heading', { name: `Signed in as ${DEMO.name}` })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
    await expect(page.getByRole('cell', { name: 'Boiler lockout — no heating in classrooms' })).toBeVisible();
    // The code and state never stay in the address bar (#27).
    expect(new URL(page.url()).search).toBe('');

    // One authorization request (pushed twice when the PAR endpoint asks for a DPoP nonce: the same form).
    expect(new Set(authorizations.map((params) => params.toString())).size).toBe(1);
    const [sent] = authorizations;
    expect(sent.get('code_challenge_method')).toBe('S256');
    expect(sent.get('code_verifier')).toBeNull();
    expect(sent.get('scope')?.split(' ').sort()).toEqual(
      ['openid', 'profile', 'email', 'read:work-orders', 'read:customers', 'read:assets'].sort(),
    );

    const after = await sandboxStats(request);
    expect(after.token.byGrantType.authorization_code - (before.token.byGrantType.authorization_code ?? 0)).toBe(1);
    expect(
      after.api.byRoute['GET /work-orders'] - (before.api.byRoute['GET /work-orders'] ?? 0),
    ).toBeGreaterThanOrEqual(1);
  },
);

test('tokens are kept in IndexedDB only: not in web storage, cookies or any URL (#58, #59)', async ({
  page,
  context,
}) => {
  const urls: string[] = [];
  page.on('request', (r) => urls.push(r.url()));
  const tokens = recordTokenResponses(page);
  await signIn(page);
  await expect(page.getByRole('cell', { name: 'Quarterly chiller service' })).toBeVisible();

  const { access_token, refresh_token } = tokens[0];
  expect(access_token).toBeTruthy();
  expect(refresh_token).toBeTruthy();
  const stored = (await storedSession(page)) as { access_token: string; refresh_token: string };
  expect(stored.refresh_token).toBe(refresh_token);

  const webStorage = await page.evaluate(
    () => JSON.stringify({ ...localStorage, ...sessionStorage }) + document.cookie,
  );
  const cookies = JSON.stringify(await context.cookies(APP_ORIGIN));
  for (const token of [access_token, refresh_token]) {
    expect(webStorage).not.toContain(token);
    expect(cookies).not.toContain(token);
    expect(urls.some((url) => url.includes(token))).toBe(false);
  }
});

test('the server may grant fewer scopes than requested: the home page shows which', async ({ page }) => {
  await signIn(page, { refuseAtServer: ['read:customers'] });
  const permissions = page.getByRole('list', { name: 'Granted permissions' });
  await expect(permissions.getByRole('listitem').filter({ hasText: 'read:work-orders' })).toContainText('Granted');
  await expect(permissions.getByRole('listitem').filter({ hasText: 'read:customers' })).toContainText('Not granted');
  await expect(page.getByText('Fentu granted fewer permissions than Fieldpass asked for.')).toBeVisible();
});

test('without read:work-orders the home page says so instead of failing', async ({ page }) => {
  await signIn(page, { untick: ['read:work-orders'] });
  await expect(page.getByRole('heading', { name: `Signed in as ${DEMO.name}` })).toBeVisible();
  await expect(page.getByText('You have not allowed Fieldpass to view work orders')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Allow: View work orders' })).toBeVisible();
});

test('an authorization response that lands on another page is not used, and leaves the address bar at once', async ({
  page,
  request,
}) => {
  const before = await sandboxStats(request);
  await page.goto('/inspect?code=stolen-code&state=some-state&iss=https%3A%2F%2Fevil.example&view=flow');
  await expect.poll(() => new URL(page.url()).search).toBe('?view=flow');
  await page.goto('/?error=access_denied&error_description=Go+to+evil.example&state=x');
  await expect.poll(() => page.url()).toBe(`${APP_ORIGIN}/`);
  await expect(page.getByText('evil.example')).toHaveCount(0);
  expect((await sandboxStats(request)).token.requests).toBe(before.token.requests);
  await page.goBack();
  expect(new URL(page.url()).searchParams.has('code')).toBe(false);
});

test('denying at the sandbox consent page gives a clear message and stores nothing (#25)', async ({
  page,
  request,
}) => {
  const before = await sandboxStats(request);
  await signIn(page, { deny: true });

  await expect(page.getByRole('heading', { name: 'You declined access' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Start again' })).toBeVisible();
  expect(new URL(page.url()).search).toBe('');

  const after = await sandboxStats(request);
  expect(after.authorization.denied - before.authorization.denied).toBe(1);
  expect(after.token.requests - before.token.requests).toBe(0);
  expect(await appRecords(page)).toEqual({});

  await page.getByRole('link', { name: 'Start again' }).click();
  await expect(page.getByRole('button', { name: 'Continue to Fentu' })).toBeVisible();
});

test('sign-in returns to the page where it started, and never off the origin (#31)', async ({ page }) => {
  await signIn(page, { returnTo: '/?view=today' });
  await expect(page.getByRole('heading', { name: `Signed in as ${DEMO.name}` })).toBeVisible();
  expect(page.url()).toBe(`${APP_ORIGIN}/?view=today`);

  await page.context().clearCookies();
  await page.evaluate(() => indexedDB.deleteDatabase('fieldpass'));
  await signIn(page, { returnTo: '//evil.example/steal' });
  await expect(page.getByRole('heading', { name: `Signed in as ${DEMO.name}` })).toBeVisible();
  expect(page.url()).toBe(`${APP_ORIGIN}/`);
});

test(
  'a reload keeps the user signed in without another sign-in or token request',
  { tag: '@device' },
  async ({ page, request }) => {
    await signIn(page);
    await expect(page.getByRole('cell', { name: 'Quarterly chiller service' })).toBeVisible();
    const before = await sandboxStats(request);

    await page.reload();

    await expect(page.getByRole('heading', { name: `Signed in as ${DEMO.name}` })).toBeVisible();
    await freshWorkOrders(page);
    const after = await sandboxStats(request);
    expect(after.authorization.requests).toBe(before.authorization.requests);
    expect(after.token.requests).toBe(before.token.requests);
  },
);

test('a callback that matches no sign-in is refused without any token request (#22)', async ({ page, request }) => {
  const before = await sandboxStats(request);
  await page.goto('/callback?code=abc&state=forged');
  await expect(page.getByRole('heading', { name: 'This sign-in response is not valid' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Start again' })).toBeVisible();
  expect(new URL(page.url()).search).toBe('');

  await page.goto('/callback');
  await expect(page.getByRole('heading', { name: 'There is no sign-in to finish here' })).toBeVisible();

  const after = await sandboxStats(request);
  expect(after.token.requests).toBe(before.token.requests);
  expect(await idbRecords(page)).not.toHaveProperty('session');
});

test('the same callback URL opened again is refused and makes no second exchange (#27)', async ({ page, request }) => {
  const before = await sandboxStats(request);
  let callbackUrl = '';
  page.on('request', (r) => {
    if (r.isNavigationRequest() && r.url().startsWith(`${APP_ORIGIN}/callback?`)) callbackUrl = r.url();
  });
  await signIn(page);
  await expect(page.getByRole('cell', { name: 'Quarterly chiller service' })).toBeVisible();
  expect(new URL(callbackUrl).searchParams.get('code')).toBeTruthy();

  // Back and reload never land on the code-bearing URL: it was replaced in history.
  await page.goBack();
  expect(page.url()).not.toContain('code=');
  await page.goForward();

  // Replaying it by hand is refused, and the signed-in session is left alone.
  await page.goto(callbackUrl);
  await expect(page.getByRole('heading', { name: 'This sign-in response is not valid' })).toBeVisible();
  expect(new URL(page.url()).search).toBe('');
  const after = await sandboxStats(request);
  expect(after.token.byGrantType.authorization_code - (before.token.byGrantType.authorization_code ?? 0)).toBe(1);
  expect(await idbRecords(page)).toHaveProperty('session');
});

test(
  'closed and opened again later: still signed in from the stored session, no trip to Fentu',
  { tag: '@device' },
  async ({ context, page, request }) => {
    await signIn(page);
    await expect(page.getByRole('cell', { name: 'Quarterly chiller service' })).toBeVisible();
    await page.close();
    const before = await sandboxStats(request);

    // A new page in the same browser profile, as when the tablet's app is opened again.
    const reopened = await context.newPage();
    const navigations: string[] = [];
    reopened.on('framenavigated', (frame) => {
      if (frame === reopened.mainFrame()) navigations.push(frame.url());
    });
    await reopened.goto('/');

    await expect(reopened.getByRole('heading', { name: `Signed in as ${DEMO.name}` })).toBeVisible();
    await freshWorkOrders(reopened);
    await expect(reopened.getByRole('button', { name: 'Sign out' })).toBeVisible();
    expect(navigations.filter((url) => !url.startsWith(APP_ORIGIN))).toEqual([]);
    const after = await sandboxStats(request);
    expect(after.authorization.requests).toBe(before.authorization.requests);
    expect(after.token.byGrantType.authorization_code).toBe(before.token.byGrantType.authorization_code);
  },
);
