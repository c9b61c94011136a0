// The sign-in foundation, end to end: real Chromium, the real oidc-provider sandbox, the stand-in
// Fentu API. Each test asserts what the user sees and what the servers recorded.

import { createHash } from 'node:crypto';
import type { Page, Route } from '@playwright/test';
import { APP_ORIGIN, DEMO, ISSUER } from './harness';
import {
  appRecords,
  authorizationParams,
  configureSandbox,
  expect,
  freshWorkOrders,
  idbRecords,
  PAR_ENDPOINT,
  press,
  recordTokenResponses,
  sandboxStats,
  signIn,
  signInToHome,
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
    await expect(page.getByRole('link', { name: 'Boiler lockout — no heating in classrooms' })).toBeVisible();
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

/** The claims of a JWT, unverified (the sandbox issues its access tokens as JWTs). */
function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** A DPoP proof's key, as the RFC 7638 thumbprint dpop_jkt names, and its nonce (unverified). */
function proofOf(proof: string): { thumbprint: string; nonce?: string } {
  const [header, payload] = proof
    .split('.')
    .slice(0, 2)
    .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')));
  const { crv, kty, x, y } = header.jwk as Record<string, string>;
  const thumbprint = createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest('base64url');
  return { thumbprint, nonce: payload.nonce };
}

/** One POST the page made to the sandbox's PAR endpoint, and its answer's status and DPoP nonce. */
interface Push {
  form: URLSearchParams;
  dpop: string | null;
  status: number;
  nonce: string | null;
}

/** Records every push the page makes; read the list once the sign-in is over. */
function recordPushes(page: Page): () => Promise<Push[]> {
  const pushes: Promise<Push>[] = [];
  page.on('response', (response) => {
    const sent = response.request();
    if (sent.method() !== 'POST' || sent.url() !== PAR_ENDPOINT) return;
    pushes.push(
      (async () => ({
        form: new URLSearchParams(sent.postData() ?? ''),
        dpop: await sent.headerValue('dpop'),
        status: response.status(),
        // Headers only: the body of the last push is gone once the page navigates away.
        nonce: await response.headerValue('dpop-nonce'),
      }))(),
    );
  });
  return () => Promise.all(pushes);
}

/** Records the address of every page the browser loads from the sandbox's authorization endpoint. */
function recordAuthorizeUrls(page: Page): URL[] {
  const loaded: URL[] = [];
  page.on('request', (r) => {
    const url = new URL(r.url());
    if (r.isNavigationRequest() && `${url.origin}${url.pathname}` === `${ISSUER}/authorize`) loaded.push(url);
  });
  return loaded;
}

test('with PAR the request is pushed, with a DPoP proof, and the browser loads /authorize with only client_id and request_uri', async ({
  page,
  request,
}) => {
  const before = await sandboxStats(request);
  const pushes = recordPushes(page);
  const authorize = recordAuthorizeUrls(page);
  const tokens = recordTokenResponses(page);

  await signIn(page);

  await expect(page.getByRole('heading', { name: `Signed in as ${DEMO.name}` })).toBeVisible();
  await freshWorkOrders(page);

  // Pushed from the browser with everything the authorization request carries. The sandbox wants
  // a nonce in every DPoP proof, so the first push is answered 400 with one, and made once more.
  const pushed = await pushes();
  expect(pushed.map((p) => p.status)).toEqual([400, 201]);
  const sent = pushed[1].form;
  expect(pushed[0].form.toString()).toBe(sent.toString());
  expect(sent.get('client_id')).toBe('fieldpass');
  expect(sent.get('response_type')).toBe('code');
  expect(sent.get('redirect_uri')).toBe(`${APP_ORIGIN}/callback`);
  expect(sent.get('scope')?.split(' ')).toContain('read:work-orders');
  expect(sent.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(sent.get('nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(sent.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(sent.get('code_challenge_method')).toBe('S256');
  expect(sent.get('dpop_jkt')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(sent.has('code_verifier')).toBe(false);
  // Each push is signed by the key dpop_jkt names; the second carries the nonce the first was given.
  const proofs = pushed.map((p) => proofOf(p.dpop ?? ''));
  expect(proofs.map((p) => p.thumbprint)).toEqual([sent.get('dpop_jkt'), sent.get('dpop_jkt')]);
  expect(pushed[0].nonce).toBeTruthy();
  expect(proofs.map((p) => p.nonce)).toEqual([undefined, pushed[0].nonce]);

  // The one page the browser loaded from the authorization endpoint: the client and the pushed request, nothing else.
  expect(authorize).toHaveLength(1);
  expect([...authorize[0].searchParams.keys()]).toEqual(['client_id', 'request_uri']);
  expect(authorize[0].searchParams.get('client_id')).toBe('fieldpass');
  expect(authorize[0].searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/);

  // The sandbox counted one push (and its nonce challenge apart), refused none, and traded the code once.
  const after = await sandboxStats(request);
  expect(after.pushedAuthorization.requests - before.pushedAuthorization.requests).toBe(1);
  expect(after.pushedAuthorization.nonceChallenges - before.pushedAuthorization.nonceChallenges).toBe(1);
  expect(after.pushedAuthorization.errors).toEqual(before.pushedAuthorization.errors);
  expect(after.authorization.requests - before.authorization.requests).toBe(1);
  expect(after.token.byGrantType.authorization_code - (before.token.byGrantType.authorization_code ?? 0)).toBe(1);

  // The tokens are DPoP-bound, to the very key the pushed dpop_jkt named.
  expect(tokens).toHaveLength(1);
  expect(tokens[0].token_type).toMatch(/^dpop$/i);
  expect(claimsOf(tokens[0].access_token).cnf).toEqual({ jkt: sent.get('dpop_jkt') });
  expect(await storedSession(page)).toMatchObject({ token_type: 'dpop', dpop: true });
});

test('a server that does not advertise PAR gets the request in the address bar, as before', async ({
  page,
  request,
}) => {
  await configureSandbox(request, { pushedAuthorizationRequests: 0 });
  const before = await sandboxStats(request);
  const pushes = recordPushes(page);
  const authorize = recordAuthorizeUrls(page);

  await signIn(page);

  await expect(page.getByRole('heading', { name: `Signed in as ${DEMO.name}` })).toBeVisible();
  await freshWorkOrders(page);
  expect(await pushes()).toEqual([]);
  expect(authorize).toHaveLength(1);
  const sent = authorize[0].searchParams;
  expect(sent.has('request_uri')).toBe(false);
  expect(sent.get('client_id')).toBe('fieldpass');
  expect(sent.get('redirect_uri')).toBe(`${APP_ORIGIN}/callback`);
  expect(sent.get('code_challenge_method')).toBe('S256');
  expect(sent.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(sent.get('dpop_jkt')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  const after = await sandboxStats(request);
  expect(after.pushedAuthorization).toEqual(before.pushedAuthorization);
  expect(after.token.byGrantType.authorization_code - (before.token.byGrantType.authorization_code ?? 0)).toBe(1);
});

const PAR_FAULTS: { name: string; heading: string; facts: string[]; answer: (route: Route) => Promise<void> }[] = [
  {
    name: 'no answer',
    heading: 'Fentu could not be reached',
    facts: [PAR_ENDPOINT, 'NETWORK'],
    answer: (route) => route.abort('connectionrefused'),
  },
  {
    name: 'HTTP 503',
    heading: 'The Fentu server had a problem',
    facts: ['503', 'SERVER_ERROR'],
    answer: (route) => route.fulfill({ status: 503, json: { error: 'temporarily_unavailable' } }),
  },
  {
    name: 'a refusal, 400 invalid_request',
    heading: 'The Fentu server refused the sign-in',
    facts: ['invalid_request', '400', 'SIGN_IN_REJECTED'],
    answer: (route) =>
      route.fulfill({ status: 400, json: { error: 'invalid_request', error_description: 'request refused' } }),
  },
];

for (const fault of PAR_FAULTS) {
  test(`a push that fails (${fault.name}) says so on the consent page, stores nothing, and Try again signs in`, async ({
    page,
    request,
  }) => {
    const before = await sandboxStats(request);
    await page.route(PAR_ENDPOINT, (route) =>
      route.request().method() === 'POST' ? fault.answer(route) : route.continue(),
    );
    await page.goto('/sign-in');
    await page.getByRole('checkbox', { name: 'write:work-orders' }).check();
    await page.getByRole('button', { name: 'Continue to Fentu' }).click();

    const panel = page.getByRole('alert').filter({ hasText: fault.heading });
    await expect(panel.getByRole('heading', { name: fault.heading, level: 1 })).toBeVisible();
    await expect(panel.getByRole('button', { name: 'Try again' })).toBeVisible();
    await panel.getByText('Details for support').click();
    for (const fact of fault.facts) await expect(panel.getByText(fact, { exact: true })).toBeVisible();
    // Still on the consent page; nothing a callback could finish was kept, and Fentu saw no sign-in.
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    expect(Object.keys(await appRecords(page)).filter((name) => name.startsWith('pending:'))).toEqual([]);
    expect(Object.keys(await idbRecords(page)).filter((name) => name.startsWith('key:dpop:'))).toEqual([]);
    expect((await sandboxStats(request)).authorization.requests).toBe(before.authorization.requests);

    // The way forward: Try again brings the form back with the same choices, and the sign-in goes through.
    await page.unroute(PAR_ENDPOINT);
    await panel.getByRole('button', { name: 'Try again' }).click();
    await expect(page.getByRole('checkbox', { name: 'write:work-orders' })).toBeChecked();
    await press(page.getByRole('button', { name: 'Continue to Fentu' }));
    await page.waitForURL(`${ISSUER}/**`);
    await page.getByLabel('Email').fill(DEMO.email);
    await page.getByLabel('Password').fill(DEMO.password);
    await press(page.getByRole('button', { name: 'Sign in' }));
    await press(page.getByRole('button', { name: 'Allow' }));
    await expect(page.getByRole('heading', { name: `Signed in as ${DEMO.name}` })).toBeVisible();
    expect(await storedSession(page)).toMatchObject({ scope: expect.stringContaining('write:work-orders') });
  });
}

test('tokens are kept in IndexedDB only: not in web storage, cookies or any URL (#58, #59)', async ({
  page,
  context,
}) => {
  const urls: string[] = [];
  page.on('request', (r) => urls.push(r.url()));
  const tokens = recordTokenResponses(page);
  await signInToHome(page);

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

test('the server may grant fewer scopes than requested: the Account page shows which', async ({ page }) => {
  await signIn(page, { refuseAtServer: ['read:customers'] });
  await page.getByRole('link', { name: /^Account/ }).click();
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
    await signInToHome(page);
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
  await signInToHome(page);
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
    await signInToHome(page);
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
