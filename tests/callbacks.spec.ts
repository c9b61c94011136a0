// Hostile or broken callbacks, one table row each. Every one ends on a plain error page with a way
// to start again, stores nothing, and makes no token request when validation can refuse it first.
// Rows that need a real pending attempt start one here and answer it with a crafted callback: a
// real server will not send hostile responses on demand (the pattern failures.spec.ts uses).

import type { BrowserContext, Page } from '@playwright/test';
import { API_BASE_URL, APP_ORIGIN, DEMO, ISSUER } from './harness';
import { expect, idbRecords, nextAuthorizationParams, sandboxStats, serviceWorkerInControl } from './fixtures';
import { signIn, test as base } from './fixtures';

/** The headings messages.ts gives each outcome; STATE_MISSING, STATE_UNKNOWN and CALLBACK_INVALID share one. */
const HEADING = {
  invalid: 'This sign-in response is not valid',
  expired: 'The sign-in took too long',
  declined: 'You declined access',
  refused: 'The Fentu server refused the sign-in',
  codeRejected: 'The sign-in could not be completed',
  nothingToFinish: 'There is no sign-in to finish here',
} as const;

/** Chromium's console line for a response with a 4xx status, which some rows expect. */
const EXPECTED_4XX = /^Failed to load resource: the server responded with a status of 4\d\d\b/;

const test = base.extend<{ noUncaughtErrors: void }>({
  // Every test: no uncaught exception, and no console error but an expected 4xx.
  noUncaughtErrors: [
    async ({ page }, use) => {
      const errors: string[] = [];
      page.on('pageerror', (err) => errors.push(`uncaught: ${err.message}`));
      page.on('console', (message) => {
        if (message.type() === 'error' && !EXPECTED_4XX.test(message.text())) errors.push(message.text());
      });
      await use();
      expect(errors).toEqual([]);
    },
    { auto: true },
  ],
});

const enc = encodeURIComponent;
/** A state as the app makes them (43 base64url characters), which no attempt in the browser has. */
const FORGED_STATE = 'q1W3e5R7t9Y1u3I5o7P9a1S3d5F7g9H1j3K5l7Z9x1C';
const SIGNED_IN = `Signed in as ${DEMO.name}`;

/** Starts a real sign-in attempt and returns its `state`; the browser is left on the sandbox's login page. */
async function startAttempt(page: Page): Promise<string> {
  await page.goto('/sign-in');
  const sent = nextAuthorizationParams(page);
  await page.getByRole('button', { name: 'Continue to Fentu' }).click();
  const state = (await sent).get('state');
  await page.waitForURL(`${ISSUER}/**`);
  expect(state).toBeTruthy();
  return state!;
}

/**
 * Starts a real sign-in attempt and answers its authorization request with a redirect to the
 * callback carrying `query(state)` instead of the sandbox's answer. Returns the attempt's state.
 */
async function answerAttempt(page: Page, query: (state: string) => string): Promise<string> {
  await page.goto('/sign-in');
  let state = '';
  // The state the app pushed to the sandbox (or put in the URL), read before /authorize is asked.
  const sent = nextAuthorizationParams(page);
  // Kept for the whole test rather than `times: 1`: with that, one run left the redirected callback
  // request unanswered until the test timed out. Each test makes one authorization request here.
  await page.route(`${ISSUER}/authorize**`, async (route) => {
    state = (await sent).get('state') ?? '';
    return route.fulfill({ status: 302, headers: { location: `${APP_ORIGIN}/callback?${query(state)}` } });
  });
  await page.getByRole('button', { name: 'Continue to Fentu' }).click();
  await page.waitForURL(`${APP_ORIGIN}/callback**`);
  expect(state).toBeTruthy();
  return state;
}

/** A whole sign-in in the sandbox's own pages, by clicks: login, then Allow. */
async function signInAtSandbox(page: Page): Promise<void> {
  await page.goto('/sign-in');
  await page.getByRole('button', { name: 'Continue to Fentu' }).click();
  await page.waitForURL(`${ISSUER}/**`);
  await page.getByLabel('Email').fill(DEMO.email);
  await page.getByLabel('Password').fill(DEMO.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Allow' }).click();
}

/**
 * A whole sign-in whose real answer is caught before it reaches the tab that asked, as if copied
 * from it: the consent's redirects are followed here (with the browser's cookies) up to the
 * callback, whose URL is returned. The tab is left where it was, on the sandbox.
 */
async function answerCaughtOnItsWay(page: Page): Promise<string> {
  let answer = '';
  await page.route(`${ISSUER}/interaction/*/confirm`, async (route) => {
    let location = (await route.fetch({ maxRedirects: 0 })).headers().location;
    while (location && !location.startsWith(APP_ORIGIN)) {
      const hop = await page.request.get(new URL(location, ISSUER).href, { maxRedirects: 0 });
      location = hop.headers().location;
    }
    answer = location ?? '';
    return route.fulfill({ status: 204 });
  });
  await signInAtSandbox(page);
  await expect.poll(() => answer).toContain('code=');
  return answer;
}

/**
 * Opens a sign-in's `answer` in another tab of `context`: "not valid" there; then in the tab that
 * started the sign-in (`page`, whose routes are dropped): "not valid" too, as the attempt is spent.
 * Nothing is stored, and no attempt is left.
 */
async function expectSpentInAnotherTab(page: Page, context: BrowserContext, answer: string): Promise<void> {
  const other = await context.newPage();
  await other.goto(answer);
  await expectErrorPage(other, { heading: HEADING.invalid, code: 'STATE_UNKNOWN' });
  await page.unrouteAll();
  await page.goto(answer);
  await expectErrorPage(page, { heading: HEADING.invalid, code: 'STATE_UNKNOWN' });
  const keys = await storedKeys(page);
  expect(keys).not.toContain('session');
  expect(pendingOf(keys)).toEqual([]);
}

/** One line of the error panel's "Details for support" (opened first). */
async function supportFact(page: Page, term: string) {
  const details = page.getByRole('group').filter({ hasText: 'Details for support' });
  if ((await details.getAttribute('open')) === null) await page.getByText('Details for support').click();
  return details.locator('dt', { hasText: term }).locator('+ dd');
}

interface ErrorPage {
  heading: string;
  /** The Fieldpass code under "Details for support": it tells refusals with one heading apart. */
  code: string;
  /** Text the details must show, such as the server's description. */
  shows?: string;
  /** Text the details must not show. */
  hides?: string;
}

/** A plain heading, "Start again" to /sign-in, the query gone from the address bar (#27), the right code. */
async function expectErrorPage(page: Page, expected: ErrorPage): Promise<void> {
  await expect(page.getByRole('heading', { name: expected.heading, exact: true })).toBeVisible();
  await expect(page.getByRole('main').getByRole('link', { name: 'Start again' })).toHaveAttribute('href', '/sign-in');
  expect(page.url()).toBe(`${APP_ORIGIN}/callback`);
  await expect(await supportFact(page, 'Fieldpass code')).toHaveText(expected.code);
  const details = page.getByRole('group').filter({ hasText: 'Details for support' });
  if (expected.shows !== undefined) await expect(details.getByText(expected.shows, { exact: true })).toBeVisible();
  if (expected.hides !== undefined) await expect(details).not.toContainText(expected.hides);
}

/** The app's IndexedDB record names (values may be encrypted later, so only names are compared). */
async function storedKeys(page: Page): Promise<string[]> {
  return Object.keys(await idbRecords(page));
}

const pendingOf = (keys: string[]) => keys.filter((key) => key.startsWith('pending:'));

interface RefusedCase extends ErrorPage {
  title: string;
  /** Opens the hostile callback: directly, or as the answer to a real pending attempt. */
  open: (page: Page) => Promise<unknown>;
  /** Further checks on the page for this row. */
  also?: (page: Page) => Promise<void>;
}

const SCRIPT_PAYLOAD = '<script>window.__pwned=1</script>';

const REFUSED: RefusedCase[] = [
  {
    title: 'a code without state (#22)',
    open: (page) => page.goto('/callback?code=abc'),
    heading: HEADING.invalid,
    code: 'STATE_MISSING',
  },
  {
    title: 'a well-formed state no attempt in this browser has (#22)',
    open: (page) => page.goto(`/callback?code=abc&state=${FORGED_STATE}&iss=${enc(ISSUER)}`),
    heading: HEADING.invalid,
    code: 'STATE_UNKNOWN',
  },
  {
    title: 'the state of an attempt started 11 minutes ago (#9, #22)',
    open: async (page) => {
      await page.clock.install();
      const state = await startAttempt(page);
      await page.clock.fastForward('11:00');
      await page.goto(`/callback?code=x&state=${state}&iss=${enc(ISSUER)}`);
    },
    heading: HEADING.expired,
    code: 'STATE_EXPIRED',
  },
  {
    title: 'access_denied with a description (#25)',
    open: (page) =>
      answerAttempt(
        page,
        (state) =>
          `error=access_denied&error_description=${enc('The user said no.')}&state=${state}&iss=${enc(ISSUER)}`,
      ),
    heading: HEADING.declined,
    code: 'SIGN_IN_CANCELLED',
    shows: 'The user said no.',
  },
  {
    title: 'access_denied without a description (#25)',
    open: (page) => answerAttempt(page, (state) => `error=access_denied&state=${state}&iss=${enc(ISSUER)}`),
    heading: HEADING.declined,
    code: 'SIGN_IN_CANCELLED',
    shows: 'access_denied',
    hides: 'Server said',
  },
  {
    title: 'error=invalid_scope (#24)',
    open: (page) => answerAttempt(page, (state) => `error=invalid_scope&state=${state}&iss=${enc(ISSUER)}`),
    heading: HEADING.refused,
    code: 'SIGN_IN_REJECTED',
    shows: 'invalid_scope',
  },
  {
    title: 'an error with an unknown state is not attributed to the server (#24)',
    open: (page) =>
      page.goto(
        `/callback?error=access_denied&error_description=${enc('Fentu says no')}&state=${FORGED_STATE}&iss=${enc(ISSUER)}`,
      ),
    heading: HEADING.invalid,
    code: 'STATE_UNKNOWN',
    hides: 'Fentu says no',
  },
  {
    title: 'iss of another server (#23)',
    open: (page) => answerAttempt(page, (state) => `code=x&state=${state}&iss=${enc('http://evil.example')}`),
    heading: HEADING.invalid,
    code: 'CALLBACK_INVALID',
  },
  {
    title: 'iss with a trailing slash (#23)',
    open: (page) => answerAttempt(page, (state) => `code=x&state=${state}&iss=${enc(`${ISSUER}/`)}`),
    heading: HEADING.invalid,
    code: 'CALLBACK_INVALID',
  },
  {
    title: 'no iss, though the server says it sends one (#23)',
    open: (page) => answerAttempt(page, (state) => `code=x&state=${state}`),
    heading: HEADING.invalid,
    code: 'CALLBACK_INVALID',
  },
  {
    title: 'an error with the wrong iss is not attributed to the server (#23, #24)',
    open: (page) =>
      answerAttempt(
        page,
        (state) => `error=access_denied&error_description=no&state=${state}&iss=${enc('http://evil.example')}`,
      ),
    heading: HEADING.invalid,
    code: 'CALLBACK_INVALID',
    hides: 'access_denied',
  },
  {
    title: 'the real state given twice (#28)',
    open: (page) => answerAttempt(page, (state) => `code=x&state=${state}&state=${state}&iss=${enc(ISSUER)}`),
    heading: HEADING.invalid,
    code: 'CALLBACK_INVALID',
  },
  {
    title: 'two codes (#28)',
    open: (page) => answerAttempt(page, (state) => `code=a&code=b&state=${state}&iss=${enc(ISSUER)}`),
    heading: HEADING.invalid,
    code: 'CALLBACK_INVALID',
  },
  {
    title: 'a state of 10 000 characters (#29)',
    open: (page) => page.goto(`/callback?code=x&state=${'A'.repeat(10_000)}&iss=${enc(ISSUER)}`),
    heading: HEADING.invalid,
    code: 'CALLBACK_INVALID',
  },
  {
    title: 'percent-encoded junk in every parameter (#29)',
    open: (page) => page.goto('/callback?code=%00%ff&state=%00%ff&iss=%00%ff&error_description=%00%ff'),
    heading: HEADING.invalid,
    code: 'STATE_UNKNOWN',
  },
  {
    title: 'percent-encoded junk in code and iss for a real attempt (#23, #29)',
    open: (page) => answerAttempt(page, (state) => `code=%00%ff&state=${state}&iss=%00%ff`),
    heading: HEADING.invalid,
    code: 'CALLBACK_INVALID',
  },
  {
    title: 'a callback URL over 8192 characters for a real attempt (#29)',
    open: (page) => answerAttempt(page, (state) => `code=x&state=${state}&iss=${enc(ISSUER)}&pad=${'a'.repeat(8192)}`),
    heading: HEADING.invalid,
    code: 'CALLBACK_INVALID',
  },
  {
    title: 'a <script> in error_description is shown as text only (#24, #68)',
    open: (page) =>
      answerAttempt(
        page,
        (state) => `error=access_denied&error_description=${enc(SCRIPT_PAYLOAD)}&state=${state}&iss=${enc(ISSUER)}`,
      ),
    heading: HEADING.declined,
    code: 'SIGN_IN_CANCELLED',
    shows: SCRIPT_PAYLOAD,
    also: async (page) => {
      expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
    },
  },
  {
    title: 'bidirectional overrides and control characters in error_description are shown neutralised',
    open: (page) =>
      answerAttempt(
        page,
        (state) =>
          `error=invalid_scope&error_description=${enc('Scope \u202Eelbaliava\u202C\r\nnot valid')}&state=${state}&iss=${enc(ISSUER)}`,
      ),
    heading: HEADING.refused,
    code: 'SIGN_IN_REJECTED',
    shows: 'Scope \uFFFDelbaliava\uFFFD\uFFFD\uFFFDnot valid',
    hides: '\u202E',
  },
];

test.describe('a hostile or broken callback is refused before any token request, and nothing is stored', () => {
  for (const row of REFUSED) {
    test(row.title, async ({ page, request }) => {
      const before = await sandboxStats(request);
      await row.open(page);

      await expectErrorPage(page, row);
      await row.also?.(page);
      expect((await sandboxStats(request)).token.requests).toBe(before.token.requests);
      const keys = await storedKeys(page);
      expect(keys).not.toContain('session');
      expect(pendingOf(keys)).toEqual([]);
    });
  }
});

test('a state used a second time: the replay is refused before the network, the session stays (#22, #27)', async ({
  page,
  request,
}) => {
  const callback = page.waitForRequest((r) => r.isNavigationRequest() && r.url().startsWith(`${APP_ORIGIN}/callback?`));
  await signIn(page);
  const callbackUrl = (await callback).url();
  await expect(page.getByRole('heading', { name: SIGNED_IN })).toBeVisible();
  expect(new URL(callbackUrl).searchParams.get('state')).toBeTruthy();
  const before = await sandboxStats(request);

  await page.goto(callbackUrl);

  await expectErrorPage(page, { heading: HEADING.invalid, code: 'STATE_UNKNOWN' });
  expect((await sandboxStats(request)).token.requests).toBe(before.token.requests);
  const keys = await storedKeys(page);
  expect(keys).toContain('session');
  expect(pendingOf(keys)).toEqual([]);
});

test('a sign-in answer opened in another tab finishes nothing there or later, and no code is sent', async ({
  page,
  context,
  request,
}) => {
  const answer = await answerCaughtOnItsWay(page);
  const before = await sandboxStats(request);

  await expectSpentInAnotherTab(page, context, answer);
  expect((await sandboxStats(request)).token.requests).toBe(before.token.requests);
});

test.describe('with the service worker in control, the worker exchanges the code', () => {
  test.use({ serviceWorkers: 'allow' });

  /** Every request to the token endpoint, and whether the service worker made it. */
  function tokenRequests(page: Page) {
    const seen: { byWorker: boolean; grant: string | null }[] = [];
    page.context().on('request', (request) => {
      if (request.url() !== `${ISSUER}/token`) return;
      const grant = new URLSearchParams(request.postData() ?? '').get('grant_type');
      seen.push({ byWorker: request.serviceWorker() !== null, grant });
    });
    return seen;
  }

  test('signed in where the sign-in started: the code sent by the worker, once; the address clean', async ({
    page,
    request,
  }) => {
    await page.goto('/');
    await serviceWorkerInControl(page);
    const before = await sandboxStats(request);
    const sent = tokenRequests(page);

    await signIn(page, { returnTo: '/inspect' });

    await expect(page).toHaveURL(`${APP_ORIGIN}/inspect`);
    await page.goto('/');
    await expect(page.getByRole('heading', { name: SIGNED_IN })).toBeVisible();
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.filter((r) => !r.byWorker)).toEqual([]);
    const after = await sandboxStats(request);
    expect(after.token.byGrantType.authorization_code - (before.token.byGrantType.authorization_code ?? 0)).toBe(1);
    const keys = await storedKeys(page);
    expect(keys).toContain('session');
    expect(pendingOf(keys)).toEqual([]);
  });

  test('a reload while the worker is exchanging the code: the sign-in is kept, and the page goes home signed in', async ({
    page,
    request,
  }) => {
    await page.goto('/');
    await serviceWorkerInControl(page);
    const before = await sandboxStats(request);
    // The exchange reaches the real server; its answer is held back until the page has reloaded.
    let reached!: () => void;
    const atServer = new Promise<void>((resolve) => (reached = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    await page.context().route(`${ISSUER}/token`, async (route) => {
      const response = await route.fetch();
      if (response.status() === 400 && (await response.text()).includes('use_dpop_nonce')) {
        return route.fulfill({ response });
      }
      reached();
      await released;
      await route.fulfill({ response }).catch(() => undefined);
    });
    await signInAtSandbox(page);
    await atServer;
    await expect(page.getByRole('status')).toHaveText('Finishing sign-in with Fentu…');

    await page.reload();
    release();

    await expect(page).toHaveURL(`${APP_ORIGIN}/`);
    await expect(page.getByRole('heading', { name: SIGNED_IN })).toBeVisible();
    const after = await sandboxStats(request);
    expect(after.token.byGrantType.authorization_code - (before.token.byGrantType.authorization_code ?? 0)).toBe(1);
    expect(pendingOf(await storedKeys(page))).toEqual([]);
  });

  test('a sign-in answer opened in another tab finishes nothing there or later, and nothing is stored', async ({
    page,
    context,
  }) => {
    await page.goto('/');
    await serviceWorkerInControl(page);
    const answer = await answerCaughtOnItsWay(page);

    // The worker exchanges the code as the other tab asks for the page, and stores nothing once
    // that tab says it is not the one that started the sign-in.
    await expectSpentInAnotherTab(page, context, answer);
    await page.goto('/');
    await expect(page.getByRole('link', { name: 'Sign in' }).first()).toBeVisible();
  });
});

test.describe('the code is exchanged once, whatever the browser does (#27)', () => {
  test('a reload while the code is being exchanged shows "no sign-in to finish" and sends it no second time', async ({
    page,
    request,
  }) => {
    const before = await sandboxStats(request);
    // A slow network: the exchange reaches the real server, its answer is held back until after the reload.
    let sent!: () => void;
    const exchanged = new Promise<void>((resolve) => (sent = resolve));
    await page.route(`${ISSUER}/token`, async (route) => {
      const response = await route.fetch();
      // The DPoP nonce challenge goes through; the exchange that follows is the one held back.
      if (response.status() === 400 && (await response.text()).includes('use_dpop_nonce')) {
        return route.fulfill({ response });
      }
      sent();
    });
    await signIn(page);
    await exchanged;
    await expect(page.getByRole('status')).toHaveText('Finishing sign-in with Fentu…');
    expect(page.url()).toBe(`${APP_ORIGIN}/callback`);

    await page.reload();
    await page.unrouteAll({ behavior: 'ignoreErrors' });

    await expect(page.getByRole('heading', { name: HEADING.nothingToFinish })).toBeVisible();
    await expect(page.getByRole('main').getByRole('link', { name: 'Sign in', exact: true })).toHaveAttribute(
      'href',
      '/sign-in',
    );
    const after = await sandboxStats(request);
    expect(after.token.requests - before.token.requests).toBe(
      1 + after.token.nonceChallenges - before.token.nonceChallenges,
    );
    expect(after.token.byGrantType.authorization_code - (before.token.byGrantType.authorization_code ?? 0)).toBe(1);
    const keys = await storedKeys(page);
    expect(keys).not.toContain('session');
    expect(pendingOf(keys)).toEqual([]);
  });

  test('back through the whole sign-in and forward again: no callback is opened again, the session stays', async ({
    page,
    request,
  }) => {
    const callbacks: string[] = [];
    page.on('request', (r) => {
      if (r.url().startsWith(`${APP_ORIGIN}/callback`)) callbacks.push(r.url());
    });
    await signIn(page);
    await expect(page.getByRole('heading', { name: SIGNED_IN })).toBeVisible();
    expect(callbacks).toHaveLength(1);
    const before = await sandboxStats(request);

    const visited: string[] = [];
    for (let step = 0; step < 10 && page.url() !== `${APP_ORIGIN}/sign-in`; step++) {
      await page.goBack();
      visited.push(page.url());
    }
    expect(visited.at(-1)).toBe(`${APP_ORIGIN}/sign-in`);
    // Forward to the end in one jump: stepping through the other origin's pages one by one makes
    // Chromium swap processes under Playwright mid-navigation.
    await page.evaluate((steps) => history.go(steps), visited.length);

    await expect(page).toHaveURL(`${APP_ORIGIN}/`);
    await expect(page.getByRole('heading', { name: SIGNED_IN })).toBeVisible();
    expect(visited.filter((url) => url.startsWith(`${APP_ORIGIN}/callback`))).toEqual([]);
    expect(callbacks).toHaveLength(1);
    expect((await sandboxStats(request)).token.requests).toBe(before.token.requests);
    const keys = await storedKeys(page);
    expect(keys).toContain('session');
    expect(pendingOf(keys)).toEqual([]);
  });
});

test.describe('a response meant for another attempt (#26)', () => {
  test("the replaced attempt's state is refused before any token request", async ({ page, request }) => {
    const first = await startAttempt(page);
    const before = await sandboxStats(request);
    // The second attempt voids the first; the hostile answer carries the first one's state.
    const second = await answerAttempt(page, () => `code=x&state=${first}&iss=${enc(ISSUER)}`);
    expect(second).not.toBe(first);

    await expectErrorPage(page, { heading: HEADING.invalid, code: 'STATE_UNKNOWN' });
    expect((await sandboxStats(request)).token.requests).toBe(before.token.requests);
    const keys = await storedKeys(page);
    expect(keys).not.toContain('session');
    // Only the replaced attempt is asserted gone: the second one's real answer may still come.
    expect(keys).not.toContain(`pending:${first}`);
  });

  test("the replaced attempt's code under the newer attempt's state is refused by PKCE and stores nothing", async ({
    page,
    request,
  }) => {
    // Attempt one runs for real at the sandbox, but its answer never reaches the app.
    const held = page.waitForRequest((r) => r.url().startsWith(`${APP_ORIGIN}/callback?`));
    let heldBack = false;
    await page.route(
      (url) => url.origin === APP_ORIGIN && url.pathname === '/callback',
      (route) => {
        if (heldBack) return route.fallback();
        heldBack = true;
        return route.fulfill({ status: 204 });
      },
    );
    await signInAtSandbox(page);
    const firstAnswer = new URL((await held).url()).searchParams;
    expect(firstAnswer.get('code')).toBeTruthy();
    const before = await sandboxStats(request);

    // Attempt two is answered with attempt one's code: the state and iss are right, so only the
    // server can tell, by the PKCE verifier. One token request is unavoidable here.
    const second = await answerAttempt(
      page,
      (state) => `code=${enc(firstAnswer.get('code')!)}&state=${state}&iss=${enc(firstAnswer.get('iss')!)}`,
    );
    expect(second).not.toBe(firstAnswer.get('state'));

    await expectErrorPage(page, { heading: HEADING.codeRejected, code: 'CODE_REJECTED', shows: 'invalid_grant' });
    const after = await sandboxStats(request);
    expect(after.token.byGrantType.authorization_code - (before.token.byGrantType.authorization_code ?? 0)).toBe(1);
    expect(after.token.errors.invalid_grant - (before.token.errors.invalid_grant ?? 0)).toBe(1);
    const keys = await storedKeys(page);
    expect(keys).not.toContain('session');
    expect(pendingOf(keys)).toEqual([]);
  });
});

test.describe('return-to targets that try to leave the origin end on the home page, signed in (#31)', () => {
  const rows: Array<{ target: string; lands: string }> = [
    // The control: a same-origin target is honoured, so the rows below can fail.
    { target: '/?view=today', lands: '/?view=today' },
    ...[
      '//evil.example',
      '/\\evil.example',
      'https:evil.example',
      'https://evil.example/',
      '%2F%2Fevil.example',
      '/%5Cevil.example',
      '/\t/evil.example',
      'javascript:alert(1)',
    ].map((target) => ({ target, lands: '/' })),
  ];
  for (const { target, lands } of rows) {
    test(`returnTo=${JSON.stringify(target)}`, async ({ page }) => {
      const allowed = [APP_ORIGIN, ISSUER, API_BASE_URL];
      const elsewhere: string[] = [];
      page.on('request', (r) => {
        const url = new URL(r.url());
        if (url.protocol.startsWith('http') && !allowed.includes(url.origin)) elsewhere.push(r.url());
      });
      const dialogs: string[] = [];
      page.on('dialog', (dialog) => {
        dialogs.push(dialog.message());
        void dialog.dismiss();
      });

      // A fresh browser context per row: the sandbox asks for login and consent each time.
      await signIn(page, { returnTo: target });

      await expect(page.getByRole('heading', { name: SIGNED_IN })).toBeVisible();
      await expect(page).toHaveURL(`${APP_ORIGIN}${lands}`);
      expect(elsewhere).toEqual([]);
      expect(dialogs).toEqual([]);
    });
  }
});
