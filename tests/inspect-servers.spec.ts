// The developer inspector (/inspect) in front of servers unlike the default sandbox: without
// discovery or RFC 9207 `iss` (endpoints entered by hand), outside the page's connect-src, and
// without CORS for the app's origin. What it says must match what happened.

import type { Page } from '@playwright/test';
import { answerAtSandbox, configureSandbox, expect, sandboxStats, test } from './fixtures';
import { APP_ORIGIN, ISSUER, SANDBOX_PORTS } from './harness';

const CALLBACK = `${APP_ORIGIN}/inspect/callback`;
/** The sandbox's public client whose tokens are bearer tokens: no metadata says the server takes DPoP. */
const BEARER_CLIENT = 'fieldpass-bearer';
/** An origin the inspector's connect-src does not name (nothing listens there either). */
const ELSEWHERE = `http://127.0.0.1:${SANDBOX_PORTS.issuer + 7}`;

/** Words that present something as the server's answer. */
const SERVER_WORDS = /The server refused|The server said/;

/** Steps 1 to 3 of the inspector: the metadata, the authorization request, then off to the server. */
async function goToServer(page: Page) {
  await page.getByRole('button', { name: '1. Read the server’s metadata' }).click();
  await page.getByRole('button', { name: '2. Build the authorization request' }).click();
  await page.getByRole('link', { name: '3. Go to the server' }).click();
}

/** The profile with no issuer and these endpoints entered by hand, as a server without discovery needs. */
async function enterByHand(page: Page, endpoints: Record<string, string>, clientId = BEARER_CLIENT) {
  await page.goto('/inspect');
  await page.getByLabel('Issuer', { exact: true }).fill('');
  await page.locator('summary', { hasText: 'Endpoints by hand' }).click();
  for (const [name, value] of Object.entries(endpoints)) await page.getByLabel(name, { exact: true }).fill(value);
  await page.getByLabel('Client ID').fill(clientId);
  // No ID token without an issuer to compare its iss with.
  await page.getByRole('button', { name: 'Remove openid' }).click();
}

test('a server without discovery or iss, endpoints by hand and no issuer: the flow runs, and the iss check says not sent rather than failed', async ({
  page,
  request,
}) => {
  await configureSandbox(request, { discovery: 0, issInResponses: 0 });
  expect((await request.get(`${ISSUER}/.well-known/openid-configuration`)).status()).toBe(404);
  await enterByHand(page, {
    authorization_endpoint: `${ISSUER}/authorize`,
    token_endpoint: `${ISSUER}/token`,
    revocation_endpoint: `${ISSUER}/revoke`,
    introspection_endpoint: `${ISSUER}/introspect`,
  });

  await page.getByRole('button', { name: '1. Read the server’s metadata' }).click();
  // Nothing to read: the endpoints as entered, no request, no PAR.
  await expect(page.getByText(`${ISSUER}/token`).first()).toBeVisible();
  await expect(page.getByText(/none entered/)).toBeVisible();
  await expect(page.getByText('not offered')).toBeVisible();
  await expect(page.locator('details.exchange')).toHaveCount(0);
  await expect(page.getByRole('alert')).toHaveCount(0);
  await page.getByRole('button', { name: '2. Build the authorization request' }).click();
  const url = new URL((await page.getByTestId('authorization-url').textContent()) ?? '');
  expect(url.searchParams.get('client_id')).toBe(BEARER_CLIENT);
  expect(url.searchParams.has('nonce')).toBe(false);
  await page.getByRole('link', { name: '3. Go to the server' }).click();
  await answerAtSandbox(page, CALLBACK);

  // The server sent no iss, and does not promise one: not checked, which is not a failure.
  await expect(
    page.getByRole('table', { name: 'Callback parameters' }).getByRole('row', { name: /^iss/ }),
  ).toContainText('—');
  const checks = page.getByRole('list', { name: 'Callback checks' });
  await expect(
    checks.getByText(
      'Not checked: iss names the expected server (RFC 9207) — Not sent; the server does not promise it.',
    ),
  ).toBeVisible();
  await expect(checks.getByText(/^Failed/)).toHaveCount(0);
  await expect(checks.getByText('Passed: state matches an attempt started here')).toBeVisible();

  const before = await sandboxStats(request);
  await page.getByRole('button', { name: 'Exchange the code for tokens' }).click();
  await expect(page.getByRole('region', { name: 'Code exchange' }).getByText('Tokens received.')).toBeVisible();
  expect((await sandboxStats(request)).token.byGrantType.authorization_code).toBe(
    (before.token.byGrantType.authorization_code ?? 0) + 1,
  );
  await expect(page.getByRole('button', { name: 'Revoke' })).toBeVisible();
  await expect(page.getByText(SERVER_WORDS)).toHaveCount(0);
});

test('no issuer entered, and the server sends iss: shown, not compared, and the flow goes on', async ({
  page,
  request,
}) => {
  await configureSandbox(request, { discovery: 0 });
  await enterByHand(page, { authorization_endpoint: `${ISSUER}/authorize`, token_endpoint: `${ISSUER}/token` });
  await goToServer(page);
  await answerAtSandbox(page, CALLBACK);

  const checks = page.getByRole('list', { name: 'Callback checks' });
  const iss = checks.getByText(/iss names the expected server/);
  await expect(iss).toContainText(
    `Not checked: iss names the expected server (RFC 9207) — The server sent iss "${ISSUER}"`,
  );
  await expect(iss).toContainText('shown, not compared: no issuer was entered');
  await expect(checks.getByText(/^Failed/)).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Exchange the code for tokens' })).toBeVisible();
});

test('no issuer entered, and the sign-in is denied: the callback’s error is quoted as not verified to come from the expected server', async ({
  page,
  request,
}) => {
  await configureSandbox(request, { discovery: 0 });
  await enterByHand(page, { authorization_endpoint: `${ISSUER}/authorize`, token_endpoint: `${ISSUER}/token` });
  await goToServer(page);
  await answerAtSandbox(page, CALLBACK, 'Deny');

  await expect(
    page.getByRole('list', { name: 'Callback checks' }).getByText(/iss names the expected server/),
  ).toContainText('Not checked');
  const said = page.getByTestId('explanation').getByTestId('server-said');
  await expect(said.getByRole('heading')).toHaveText(
    'The callback said, not verified to come from the expected server',
  );
  await expect(said.getByTestId('said-unverified')).toHaveText(
    'The callback’s iss was not checked, so this may come from any server the browser was sent to.',
  );
  await expect(said.getByTestId('said-error')).toHaveText('access_denied');
  await expect(said).not.toContainText('Answered by');
  await expect(page.getByText('The server said')).toHaveCount(0);
});

test('a callback whose iss names another server: read as the mix-up check, and no code is exchanged', async ({
  page,
  request,
}) => {
  await configureSandbox(request, { pushedAuthorizationRequests: 0 });
  await page.goto('/inspect');
  await page.getByRole('button', { name: '1. Read the server’s metadata' }).click();
  await page.getByRole('button', { name: '2. Build the authorization request' }).click();
  const url = new URL((await page.getByTestId('authorization-url').textContent()) ?? '');
  const state = url.searchParams.get('state') ?? '';
  expect(state).not.toBe('');
  // An answer from another server, sent to this browser with the attempt's state.
  const before = await sandboxStats(request);
  await page.goto(`/inspect/callback?code=abc&state=${state}&iss=${encodeURIComponent('https://mix-up.example')}`);

  await expect(page.getByRole('list', { name: 'Callback checks' }).getByText(/^Failed: iss names/)).toBeVisible();
  const explanation = page.getByTestId('explanation');
  await expect(explanation.getByTestId('no-server-answer')).toContainText('invalid_response');
  await expect(explanation.getByRole('heading', { level: 3 })).toHaveText(
    'The answer names another server (mix-up check)',
  );
  await expect(explanation).not.toContainText('Unrecognized error code');
  await expect(explanation).not.toContainText('specific to this server');
  await expect(page.getByText(SERVER_WORDS)).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Exchange the code for tokens' })).toHaveCount(0);
  expect((await sandboxStats(request)).token.requests).toBe(before.token.requests);
});

test('an issuer that is no OAuth server (this app’s own origin, whose discovery address answers 404): Fieldpass’s reading of an unreadable metadata document, not a server’s code', async ({
  page,
}) => {
  await page.goto('/inspect');
  await page.getByLabel('Issuer', { exact: true }).fill(APP_ORIGIN);
  await page.getByRole('button', { name: '1. Read the server’s metadata' }).click();

  const explanation = page.getByTestId('explanation');
  await expect(explanation.getByTestId('no-server-answer')).toContainText(
    'invalid_response is Fieldpass’s own diagnosis of what happened (the last answer, from the server’s metadata document, was HTTP 404).',
  );
  await expect(explanation.getByRole('heading', { level: 3 })).toHaveText('The metadata could not be read');
  await expect(explanation).not.toContainText('Unrecognized error code');
  await expect(explanation).not.toContainText('specific to this server');
  await expect(page.getByText(SERVER_WORDS)).toHaveCount(0);
});

test('nothing entered, or a plain-http endpoint off loopback: a message beside the form, no explanation of a server error, no request', async ({
  page,
}) => {
  const requests: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(APP_ORIGIN)) requests.push(r.url());
  });
  await page.goto('/inspect');
  await page.getByLabel('Issuer', { exact: true }).fill('');
  await page.getByRole('button', { name: '1. Read the server’s metadata' }).click();

  const problem = page.getByRole('alert');
  await expect(problem).toContainText('Enter the issuer');
  await expect(problem).toContainText('or the authorization and token endpoints by hand');
  await expect(page.getByTestId('explanation')).toHaveCount(0);
  await expect(page.getByText(SERVER_WORDS)).toHaveCount(0);
  await expect(page.getByText('invalid_request')).toHaveCount(0);

  await page.locator('summary', { hasText: 'Endpoints by hand' }).click();
  await page.getByLabel('authorization_endpoint', { exact: true }).fill('https://as.example.com/authorize');
  await page.getByLabel('token_endpoint', { exact: true }).fill('http://as.example.com/token');
  await page.getByRole('button', { name: 'Remove openid' }).click();
  await page.getByRole('button', { name: '1. Read the server’s metadata' }).click();
  await expect(problem).toContainText('token_endpoint must use https://');
  await expect(page.getByTestId('explanation')).toHaveCount(0);
  await expect(page.getByText(SERVER_WORDS)).toHaveCount(0);
  await expect(page.locator('details.exchange')).toHaveCount(0);
  expect(requests).toEqual([]);
});

test('an issuer outside the inspector’s connect-src: nothing is sent, and the message names INSPECT_CONNECT_ORIGINS and the origin to add', async ({
  page,
}) => {
  const attempted: string[] = [];
  page.on('request', (r) => {
    if (r.url().startsWith(ELSEWHERE)) attempted.push(r.url());
  });
  const violations: string[] = [];
  page.on('console', (message) => {
    if (message.text().includes('Content Security Policy')) violations.push(message.text());
  });
  await page.goto('/inspect');
  await page.getByLabel('Issuer', { exact: true }).fill(ELSEWHERE);
  await page.getByRole('button', { name: '1. Read the server’s metadata' }).click();

  const problem = page.getByRole('alert');
  await expect(problem).toContainText('Nothing was sent');
  await expect(problem).toContainText(`Add ${ELSEWHERE} to INSPECT_CONNECT_ORIGINS`);
  await expect(problem).toContainText('start-up');
  await expect(problem).not.toContainText('CORS');
  await expect(page.locator('details.exchange')).toHaveCount(0);
  await expect(page.getByText(SERVER_WORDS)).toHaveCount(0);
  // The browser was never asked: no request, and no policy violation to report.
  expect(attempted).toEqual([]);
  expect(violations).toEqual([]);
});

test('a token endpoint outside the connect-src: the code is not sent, and the callback page says why', async ({
  page,
  request,
}) => {
  await configureSandbox(request, { discovery: 0 });
  const attempted: string[] = [];
  page.on('request', (r) => {
    if (r.url().startsWith(ELSEWHERE)) attempted.push(r.url());
  });
  await enterByHand(page, { authorization_endpoint: `${ISSUER}/authorize`, token_endpoint: `${ELSEWHERE}/token` });
  await goToServer(page);
  await answerAtSandbox(page, CALLBACK);

  const before = await sandboxStats(request);
  await page.getByRole('button', { name: 'Exchange the code for tokens' }).click();
  const exchange = page.getByRole('region', { name: 'Code exchange' });
  await expect(exchange.getByRole('alert')).toContainText(`Add ${ELSEWHERE} to INSPECT_CONNECT_ORIGINS`);
  await expect(exchange.locator('details.exchange')).toHaveCount(0);
  await expect(exchange.getByText(SERVER_WORDS)).toHaveCount(0);
  expect(attempted).toEqual([]);
  expect((await sandboxStats(request)).token.requests).toBe(before.token.requests);
});

test('a server that answers without CORS for this origin: said so, naming the endpoint and the origin, never "The server refused"', async ({
  page,
  request,
}) => {
  await configureSandbox(request, { cors: 0 });
  await page.goto('/inspect');
  await page.getByRole('button', { name: '1. Read the server’s metadata' }).click();

  const problem = page.getByRole('alert');
  await expect(problem).toContainText(`${ISSUER}/.well-known/`);
  await expect(problem).toContainText('but the browser did not let this page read the answer to this request');
  await expect(problem).toContainText(`Access-Control-Allow-Origin header, or refused the browser’s preflight`);
  await expect(problem).toContainText(`CORS settings for ${APP_ORIGIN}`);
  await expect(page.locator('details.exchange summary')).toHaveText([/→ cors_blocked$/, /→ cors_blocked$/]);
  await expect(page.getByText(SERVER_WORDS)).toHaveCount(0);
});

test('CORS off at the token endpoint after sign-in: the code exchange says only what is known, that the code may be spent, and offers no second try', async ({
  page,
  request,
}) => {
  await configureSandbox(request, { pushedAuthorizationRequests: 0 });
  await page.goto('/inspect');
  await goToServer(page);
  await answerAtSandbox(page, CALLBACK);
  const checks = page.getByRole('list', { name: 'Callback checks' });
  await expect(checks.getByText('Passed: iss names the expected server (RFC 9207)')).toBeVisible();

  await configureSandbox(request, { cors: 0 });
  await page.getByRole('button', { name: 'Exchange the code for tokens' }).click();
  const exchange = page.getByRole('region', { name: 'Code exchange' });
  const problem = exchange.getByRole('alert');
  await expect(problem).toContainText(
    `Something answers at ${ISSUER}/token, but the browser did not let this page read the answer to this request`,
  );
  await expect(problem).toContainText('the code may have been used; start a new sign-in');
  await expect(problem).not.toContainText('answered, but');
  await expect(exchange.getByText(SERVER_WORDS)).toHaveCount(0);
  // The code may be spent: no button invites sending it again.
  await expect(page.getByRole('button', { name: 'Exchange the code for tokens' })).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Back to the inspector' })).toBeVisible();
});
