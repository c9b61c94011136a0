// Token-endpoint faults, end to end: one table for the code exchange, one for the refresh. Each
// fault is injected with page.route on the sandbox's /token, because a real server will not
// produce it on demand; everything else is real, and the sandbox's counters say what reached it.
//
// Which request is faulted. The sandbox wants DPoP proofs carrying its nonce, so a page's first
// token request is answered 400 use_dpop_nonce and the app retries it once. That challenge always
// goes to the server and comes back unchanged (route.fetch, then route.fulfill with the response).
// The fault hits the first attempt that would otherwise succeed, and only that one:
// - rows that do not forward (HTTP 500, no answer, a reset before sending) fault the first request
//   whose DPoP proof carries a nonce; the server never sees it;
// - rows that forward (garbled answers, a reset after the server answered) send the request on
//   with route.fetch(), pass a use_dpop_nonce answer back unchanged, and replace the first real
//   answer. The server has then acted on it: traded the code, or rotated the refresh token.
// Requests after the faulted one go to the server. In the refresh table the app's own retry is
// held at the route until the test has looked at the state between the failure and the retry,
// then let through when the route is removed, as if the network came back.
//
// The no-answer rows would cost the app's whole time limit (15 s, AbortSignal.timeout). Playwright's
// clock fakes AbortSignal.timeout, so those rows install it and move the page's time on by the
// limit once the request is held; the app's code runs unchanged.

import type { APIResponse, Page, Request, Route } from '@playwright/test';
import { DEMO, ISSUER, APP_ORIGIN } from './harness';
import {
  appRecords,
  expect,
  holdsFor,
  sandboxStats,
  signIn,
  signInToHome,
  signedInHeading,
  storedSession,
  test,
} from './fixtures';

/** The app's limit on a request to the authorization server (DEFAULT_TIMEOUT_MS, src/lib/oauth/runtime.ts). */
const APP_TIMEOUT_MS = 15_000;

const TOKEN_ENDPOINT = `${ISSUER}/token`;

type Grant = 'authorization_code' | 'refresh_token';

interface Fault {
  name: string;
  /** True when the request reaches the server before the fault, which has then acted on it. */
  forwards: boolean;
  /** The heading the user is shown (src/lib/app/messages.ts). */
  title: string;
  /** Checklist items (../shared/SECURITY-CHECKLIST.md) the row tests in the code-exchange table. */
  exchangeItems: string;
  /** Answers the faulted request; `real` is the server's answer when the row forwards. */
  answer: (route: Route, real: APIResponse | undefined, released: Promise<void>) => Promise<void>;
  /** True when the request is never answered, so the page's clock has to reach the app's limit. */
  holds?: boolean;
  /** True when the faulted answer still carries the server's rotated refresh token, which the app keeps. */
  salvageable?: boolean;
  /** True when no answer arrived at all: a refresh is then retried at once with the same token. */
  lostInTransit?: boolean;
}

/** The server's answer with its body replaced; its content-length would no longer match. */
async function replaceBody(route: Route, real: APIResponse | undefined, body: string): Promise<void> {
  if (!real) throw new Error('a replaced answer needs the real one');
  const headers = { ...real.headers() };
  delete headers['content-length'];
  delete headers['transfer-encoding'];
  await route.fulfill({ status: 200, headers, body });
}

async function realJson(real: APIResponse | undefined): Promise<Record<string, unknown>> {
  if (!real) throw new Error('a replaced answer needs the real one');
  return real.json();
}

const FAULTS: Fault[] = [
  {
    name: 'HTTP 500',
    forwards: false,
    title: 'The Fentu server had a problem',
    exchangeItems: '#37',
    answer: (route) => route.fulfill({ status: 500, json: { error: 'server_error' } }),
  },
  {
    name: 'no answer',
    lostInTransit: true,
    forwards: false,
    holds: true,
    title: 'Fentu took too long to answer',
    exchangeItems: '#38',
    // Never answered: the app's own limit ends the request, so there is nothing left to answer.
    answer: async (route, _real, released) => {
      await released;
      await route.abort().catch(() => undefined);
    },
  },
  {
    name: 'connection reset before sending',
    lostInTransit: true,
    forwards: false,
    title: 'Fentu could not be reached',
    exchangeItems: '#38',
    answer: (route) => route.abort('connectionreset'),
  },
  {
    name: 'malformed JSON',
    forwards: true,
    title: 'The Fentu server sent an unexpected answer',
    exchangeItems: '#39',
    answer: (route, real) => replaceBody(route, real, '{not json'),
  },
  {
    name: 'no access_token',
    forwards: true,
    salvageable: true,
    title: 'The Fentu server sent an unexpected answer',
    exchangeItems: '#36',
    answer: async (route, real) => {
      const body = await realJson(real);
      delete body.access_token;
      await replaceBody(route, real, JSON.stringify(body));
    },
  },
  {
    name: "token_type 'mac'",
    forwards: true,
    salvageable: true,
    title: 'The Fentu server sent an unexpected answer',
    exchangeItems: '#36',
    answer: async (route, real) =>
      replaceBody(route, real, JSON.stringify({ ...(await realJson(real)), token_type: 'mac' })),
  },
  {
    name: 'connection reset after the server answered',
    lostInTransit: true,
    forwards: true,
    title: 'Fentu could not be reached',
    exchangeItems: '#38',
    answer: (route) => route.abort('connectionreset'),
  },
];

/** What the route saw and did, read by the test as it goes. */
interface Injection {
  /** The form of the faulted request, once the fault has been injected. */
  faulted?: URLSearchParams;
  /** The server's real answer to the faulted request, when the row forwards. */
  real?: Record<string, unknown>;
  /** use_dpop_nonce challenges passed back unchanged before the fault. */
  challenges: number;
  /** Requests of the same grant after the faulted one, in order. */
  later: URLSearchParams[];
  /** Anything that broke this file's assumptions about the nonce challenge. */
  surprises: string[];
  /** Removes the route and lets held requests go on to the server. */
  remove: () => Promise<void>;
}

async function proofCarriesNonce(request: Request): Promise<boolean> {
  const proof = await request.headerValue('dpop');
  if (!proof) return false;
  const claims = JSON.parse(Buffer.from(proof.split('.')[1] ?? '', 'base64url').toString('utf8'));
  return typeof claims.nonce === 'string';
}

async function isNonceChallenge(response: APIResponse): Promise<boolean> {
  if (response.status() !== 400) return false;
  const body = (await response.json().catch(() => ({}))) as { error?: string };
  return body.error === 'use_dpop_nonce';
}

/**
 * Faults the first token request of `grant` that would otherwise succeed (see the top of the file).
 * With `holdLater`, later requests of that grant wait at the route until `remove`.
 */
async function injectFault(page: Page, grant: Grant, fault: Fault, holdLater: boolean): Promise<Injection> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const injection: Injection = {
    challenges: 0,
    later: [],
    surprises: [],
    remove: async () => {
      release();
      await page.unroute(TOKEN_ENDPOINT, handler);
    },
  };
  const handler = async (route: Route) => {
    const request = route.request();
    const form = new URLSearchParams(request.postData() ?? '');
    if (request.method() !== 'POST' || form.get('grant_type') !== grant) return route.fallback();
    if (injection.faulted) {
      injection.later.push(form);
      if (!holdLater) return route.continue();
      await released;
      return route.continue().catch(() => undefined);
    }
    if (fault.forwards) {
      const real = await route.fetch();
      if (await isNonceChallenge(real)) {
        injection.challenges += 1;
        return route.fulfill({ response: real });
      }
      if (real.status() !== 200) injection.surprises.push(`the server answered the attempt HTTP ${real.status()}`);
      injection.real = await real.json().catch(() => undefined);
      injection.faulted = form;
      return fault.answer(route, real, released);
    }
    if (!(await proofCarriesNonce(request))) {
      const real = await route.fetch();
      if (await isNonceChallenge(real)) injection.challenges += 1;
      else injection.surprises.push(`a proof without a nonce was answered HTTP ${real.status()}`);
      return route.fulfill({ response: real });
    }
    injection.faulted = form;
    return fault.answer(route, undefined, released);
  };
  await page.route(TOKEN_ENDPOINT, handler);
  return injection;
}

function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  return errors;
}

function consoleOutput(page: Page): string[] {
  const lines: string[] = [];
  page.on('console', (message) => lines.push(message.text()));
  return lines;
}

/** The token strings in a token response. */
function tokensIn(answer: Record<string, unknown> | undefined): string[] {
  return ['access_token', 'refresh_token', 'id_token']
    .map((name) => answer?.[name])
    .filter((value): value is string => typeof value === 'string');
}

/** None of the tokens the server issued into the garbled answer reached the console or the page (#43). */
async function expectNoTokenShown(page: Page, logged: string[], injection: Injection): Promise<void> {
  const tokens = tokensIn(injection.real);
  expect(tokens.length, 'the forwarded attempt was answered with tokens').toBeGreaterThan(0);
  const html = await page.content();
  for (const token of tokens) {
    expect(logged.join('\n').includes(token), 'a token in the console').toBe(false);
    expect(html.includes(token), 'a token in the page').toBe(false);
  }
}

/**
 * From the consent screen on: Continue, then the sandbox's login and consent pages when it shows
 * them (it signs a returning user with a standing grant straight back in), back to the app.
 */
async function continueToFentu(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Continue to Fentu' }).click();
  await page.waitForURL((url) => url.origin !== APP_ORIGIN || url.pathname !== '/sign-in');
  if (!page.url().startsWith(`${ISSUER}/`)) return;
  if (await page.getByLabel('Email').isVisible()) {
    await page.getByLabel('Email').fill(DEMO.email);
    await page.getByLabel('Password').fill(DEMO.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.waitForURL(`${APP_ORIGIN}/**`);
}

/** The body of the first successful code exchange the page received. */
function recordSignInTokens(page: Page): { tokens?: Record<string, string> } {
  const record: { tokens?: Record<string, string> } = {};
  page.on('response', async (response) => {
    const request = response.request();
    if (response.url() !== TOKEN_ENDPOINT || request.method() !== 'POST' || response.status() !== 200) return;
    if (new URLSearchParams(request.postData() ?? '').get('grant_type') !== 'authorization_code') return;
    record.tokens ??= await response.json();
  });
  return record;
}

for (const fault of FAULTS) {
  test(`code exchange, ${fault.name}: "${fault.title}" with Start again, nothing stored, the code sent once (${fault.exchangeItems}, #43)`, async ({
    page,
    request,
  }) => {
    const errors = pageErrors(page);
    const logged = consoleOutput(page);
    if (fault.holds) await page.clock.install();
    const before = await sandboxStats(request);
    const injection = await injectFault(page, 'authorization_code', fault, false);

    await signIn(page);
    await expect.poll(() => injection.faulted !== undefined, { message: 'the exchange was faulted' }).toBe(true);
    if (fault.holds) await page.clock.fastForward(APP_TIMEOUT_MS);

    await expect(page.getByRole('heading', { name: fault.title })).toBeVisible();
    await expect(page.getByRole('link', { name: 'Start again' })).toBeVisible();
    // Nothing half-written: no token set, and the spent attempt is gone.
    const records = await appRecords(page);
    expect(records).not.toHaveProperty('session');
    expect(Object.keys(records).filter((name) => name.startsWith('pending:'))).toEqual([]);
    // The fresh callback page was asked for a nonce once, then the code went out once and never
    // again (#37, #38); it reached the server only where the row forwards it.
    expect(injection.challenges).toBe(1);
    expect(injection.later).toEqual([]);
    expect(injection.surprises).toEqual([]);
    const after = await sandboxStats(request);
    expect((after.token.byGrantType.authorization_code ?? 0) - (before.token.byGrantType.authorization_code ?? 0)).toBe(
      fault.forwards ? 1 : 0,
    );
    if (fault.forwards) await expectNoTokenShown(page, logged, injection);

    await injection.remove();
    await page.getByRole('link', { name: 'Start again' }).click();
    await expect(page).toHaveURL(`${APP_ORIGIN}/sign-in`);
    await continueToFentu(page);

    await expect(signedInHeading(page)).toBeVisible();
    await expect(page.getByRole('link', { name: 'Quarterly chiller service' })).toBeVisible();
    expect(await appRecords(page)).toHaveProperty('session');
    expect(errors).toEqual([]);
  });
}

for (const fault of FAULTS) {
  // Where the request reached the server, the server rotated the refresh token and the answer
  // carrying the new one never arrived: the app's retry with the old one is reuse (RFC 9700 §4.14.2).
  // Unless the unusable answer still carried the rotated token: the app keeps that one instead.
  const salvaged = fault.salvageable === true;
  const lost = fault.forwards && !salvaged;
  const retry = fault.lostInTransit ? 'retried at once with the same refresh token' : 'retried after a back-off';
  const outcome = lost
    ? `${retry}, "Your sign-in was lost" once, with Sign in again and no more refreshes (#49, #47)`
    : salvaged
      ? 'the rotated refresh token in the answer is kept, and the retry with it recovers (#44, #49)'
      : `still signed in, ${retry}, recovers by itself (#49)`;
  test(`refresh, ${fault.name}: ${outcome}`, async ({ page, request }) => {
    const errors = pageErrors(page);
    const logged = consoleOutput(page);
    const signInAnswer = recordSignInTokens(page);
    const refreshRequests: string[] = [];
    page.on('request', (sent) => {
      if (sent.url() === TOKEN_ENDPOINT && (sent.postData() ?? '').includes('grant_type=refresh_token')) {
        refreshRequests.push(sent.postData() ?? '');
      }
    });
    if (fault.holds) await page.clock.install();
    const before = await sandboxStats(request);
    const injection = await injectFault(page, 'refresh_token', fault, true);

    // The app refreshes a 4-second access token about 2 s after it arrives.
    await signInToHome(page, { sandbox: { accessTokenTtl: 4 } });
    await expect
      .poll(() => injection.faulted !== undefined, { message: 'a refresh was faulted', timeout: 15_000 })
      .toBe(true);
    if (fault.holds) await page.clock.fastForward(APP_TIMEOUT_MS);

    const connection = page.getByTestId('connection');
    const atOnce = fault.lostInTransit === true;
    if (atOnce) {
      // No answer came back: the same refresh token goes out again at once, before any back-off
      // and before anything is shown (a server with a reuse grace window would answer it).
      await expect.poll(() => injection.later.length, { message: 'the app retried at once' }).toBe(1);
      await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
    } else {
      // Between the failure and the app's own retry (held at the route): signed in, told quietly.
      await expect(connection).toContainText(/(Cannot reach Fentu to renew|Fentu could not renew) your sign-in/);
      await expect(page.getByText(`${fault.title}. You are still signed in`)).toBeVisible();
      await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
      await expect.poll(() => injection.later.length, { message: 'the app retried' }).toBe(1);
    }
    await expect(page.getByRole('heading', { name: 'Your session has ended' })).toHaveCount(0);
    expect(injection.surprises).toEqual([]);

    // Nothing half-written: the stored token set is the one from sign-in (with the rotated refresh
    // token where the answer carried one), and the retry presents what is stored.
    const issued = signInAnswer.tokens;
    const presented = injection.faulted?.get('refresh_token');
    expect(presented).toBeTruthy();
    expect(presented).toBe(issued?.refresh_token);
    const rotated = injection.real?.refresh_token;
    const expectedNext = salvaged ? rotated : presented;
    if (salvaged) expect(rotated).toBeTruthy();
    expect(injection.later[0].get('refresh_token')).toBe(expectedNext);
    const kept = await storedSession(page);
    expect(kept?.refresh_token).toBe(expectedNext);
    expect(kept?.access_token).toBe(issued?.access_token);
    // The retry made at once is still held: no failure has been written yet.
    expect(kept?.refresh_failures).toBe(atOnce ? undefined : 1);
    const during = await sandboxStats(request);
    const reached = fault.forwards ? 1 : 0;
    expect((during.token.byGrantType.refresh_token ?? 0) - (before.token.byGrantType.refresh_token ?? 0)).toBe(reached);
    expect(during.token.refresh.succeeded - before.token.refresh.succeeded).toBe(reached);
    if (fault.forwards) await expectNoTokenShown(page, logged, injection);

    await injection.remove();

    if (!lost) {
      await expect(connection).toHaveCount(0);
      await expect(page.getByText('You are still signed in')).toHaveCount(0);
      await expect
        .poll(async () => (await sandboxStats(request)).token.refresh.succeeded - before.token.refresh.succeeded)
        .toBeGreaterThanOrEqual(1);
      const renewed = await storedSession(page);
      expect(renewed?.refresh_token).toBeTruthy();
      expect(renewed?.refresh_token).not.toBe(presented);
      expect(renewed?.refresh_failures).toBeUndefined();
      await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
      expect((await sandboxStats(request)).token.refresh.reuseDetected).toBe(before.token.refresh.reuseDetected);
    } else {
      await expect(
        page.getByRole('heading', { name: 'Your sign-in was lost on the way back from Fentu' }),
      ).toBeVisible();
      await expect(page.getByRole('button', { name: 'Sign in again' })).toBeVisible();
      await expect(page.getByRole('button', { name: 'Sign out' })).toHaveCount(0);
      await expect(connection).toHaveCount(0);
      expect(await storedSession(page)).toBeUndefined();
      const ended = await sandboxStats(request);
      expect(ended.token.refresh.reuseDetected - before.token.refresh.reuseDetected).toBe(1);
      // No loop: nothing more is sent once the session has ended (#47).
      const sent = refreshRequests.length;
      await holdsFor(5_000, async () => {
        const now = await sandboxStats(request);
        expect(now.token.refresh.rejected).toBe(ended.token.refresh.rejected);
        expect(now.token.refresh.reuseDetected).toBe(ended.token.refresh.reuseDetected);
        expect(refreshRequests.length).toBe(sent);
      });
    }
    expect(errors).toEqual([]);
  });
}
