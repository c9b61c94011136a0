// The inspector's explanations against the sandbox: "The server said" quotes only what a server
// sent, what the inspector knows and Fieldpass's reading are labelled as such, and each reading
// fits the endpoint that answered.

import type { APIRequestContext, Locator, Page } from '@playwright/test';
import { answerAtSandbox, configureSandbox, expect, signIn, test } from './fixtures';
import { APP_ORIGIN, ISSUER } from './harness';

const CALLBACK = `${APP_ORIGIN}/inspect/callback`;

/** Runs the inspector's flow to the callback page, signing in at the sandbox, with the request in the address bar. */
async function runFlow(page: Page, request: APIRequestContext) {
  await configureSandbox(request, { pushedAuthorizationRequests: 0 });
  await page.goto('/inspect');
  await page.getByRole('button', { name: '1. Read the server’s metadata' }).click();
  await page.getByRole('button', { name: '2. Build the authorization request' }).click();
  await page.getByRole('link', { name: '3. Go to the server' }).click();
  await answerAtSandbox(page, CALLBACK);
  await page.getByRole('button', { name: 'Exchange the code for tokens' }).click();
  await expect(page.getByRole('region', { name: 'Code exchange' }).getByText('Tokens received.')).toBeVisible();
}

/** The JSON body of the last answer recorded in a step, as the page shows it. */
async function lastRecordedBody(step: Locator): Promise<Record<string, unknown>> {
  const text = (await step.locator('details.exchange').last().locator('pre').last().textContent()) ?? '';
  const body = /\n\n(\{[\s\S]*\})\s*$/.exec(text)?.[1];
  expect(body, 'the recorded answer has a JSON body').toBeDefined();
  return JSON.parse(body!);
}

test('a redirect URI the server has not registered, refused as invalid_request: the pasted answer reads as the redirect URI and points to the check', async ({
  page,
  request,
}) => {
  await configureSandbox(request, { redirectUriAsInvalidRequest: 1, pushedAuthorizationRequests: 0 });
  await page.goto('/inspect');
  await page.getByLabel('Name').fill('Callback with a slash');
  await page.getByLabel('Redirect URI', { exact: true }).fill(`${CALLBACK}/`);
  await page.getByLabel(/Registered redirect URIs/).fill(CALLBACK);
  await expect(page.getByTestId('verdict')).toContainText('No exact match');
  await page.getByRole('button', { name: 'Save profile' }).click();
  await expect(page.getByText('Saved “Callback with a slash” in this browser.')).toBeVisible();

  await page.getByRole('button', { name: '1. Read the server’s metadata' }).click();
  await page.getByRole('button', { name: '2. Build the authorization request' }).click();
  await page.getByRole('link', { name: '3. Go to the server' }).click();
  await page.waitForURL(`${ISSUER}/**`);
  // The server shows its own error page: it does not redirect to a URI it cannot trust.
  const error = (await page.locator('[data-field="error"]').textContent()) ?? '';
  const description = (await page.locator('[data-field="error_description"]').textContent()) ?? '';
  expect(error).toBe('invalid_request');
  expect(description).toBe('redirect_uri is not registered for this client');

  await page.goto('/inspect');
  await page.getByRole('combobox', { name: 'Start from' }).selectOption({ label: 'Callback with a slash' });
  await expect(page.getByTestId('verdict')).toContainText('No exact match');
  await page.getByLabel('Error code').fill(error);
  await page.getByLabel('Error description').fill(description);

  const explanation = page.getByRole('region', { name: 'Error explainer' }).getByTestId('explanation');
  await expect(explanation.getByRole('heading', { level: 3 })).toHaveText(
    'The redirect URI is not registered for this client',
  );
  await expect(explanation).not.toContainText('The sign-in request is malformed');
  await expect(explanation.getByTestId('see-redirect-check')).toContainText(
    `${CALLBACK}/ matches none of the registered redirect URIs.`,
  );
  await expect(
    explanation.getByTestId('see-redirect-check').getByRole('link', { name: 'redirect-URI check' }),
  ).toBeVisible();
  // The words are shown as pasted, labelled as such.
  await expect(explanation.getByTestId('server-said')).toContainText('The server’s words, as pasted');
  await expect(explanation.getByTestId('said-error')).toHaveText(error);
  await expect(explanation.getByTestId('said-description')).toHaveText(description);
});

test('a pushed request the server refuses: the PAR endpoint is named as the one that answered', async ({ page }) => {
  await page.goto('/inspect');
  await page.getByLabel('Redirect URI', { exact: true }).fill(`${CALLBACK}/`);
  await page.getByRole('button', { name: '1. Read the server’s metadata' }).click();
  await page.getByRole('button', { name: '2. Build the authorization request' }).click();
  await page.getByRole('button', { name: '3. Push the request to the server (PAR)' }).click();

  await expect(page.getByRole('alert').filter({ hasText: 'The server refused' })).toBeVisible();
  const said = page.getByTestId('explanation').getByTestId('server-said');
  await expect(said).toContainText('Answered by the pushed authorization request endpoint, HTTP 400');
  await expect(said).not.toContainText('Answered by the authorization endpoint');
});

test('a code exchanged again: "The server said" holds the recorded answer word for word; the replay is what the inspector knows', async ({
  page,
  request,
}) => {
  await runFlow(page, request);
  await page.getByRole('button', { name: 'Exchange the same code again' }).click();

  const replay = page.getByRole('region', { name: 'The same code, exchanged again' });
  await expect(replay.getByText('The server refused: invalid_grant (HTTP 400)')).toBeVisible();
  // Nothing the server did not send is quoted as the server's words.
  await expect(replay.getByText(/The server said: .*already exchanged once/)).toHaveCount(0);
  const body = await lastRecordedBody(replay);
  expect(body.error).toBe('invalid_grant');
  expect(typeof body.error_description).toBe('string');

  const said = replay.getByTestId('server-said');
  await expect(said.getByRole('heading', { name: 'The server said' })).toBeVisible();
  await expect(said.getByTestId('said-error')).toHaveText(String(body.error));
  await expect(said.getByTestId('said-description')).toHaveText(String(body.error_description));
  await expect(said).not.toContainText('already exchanged once');

  const knows = replay.getByTestId('inspector-knows');
  await expect(knows.getByRole('heading', { name: 'What the inspector knows' })).toBeVisible();
  await expect(knows).toContainText('already exchanged once');
  await expect(
    replay.getByTestId('explanation').getByRole('heading', { name: 'The authorization code was already used' }),
  ).toBeVisible();
});

test('introspecting a JWT access token the server will not introspect: explained as introspection, never as revocation', async ({
  page,
  request,
}) => {
  await runFlow(page, request);
  await page.getByRole('button', { name: 'Introspect' }).click();

  const step = page.getByRole('region', { name: 'Introspect the access token' });
  await expect(step.getByText('The server refused: unsupported_token_type (HTTP 400)')).toBeVisible();
  const explanation = step.getByTestId('explanation');
  await expect(explanation).not.toContainText(/revok/i);
  await expect(explanation.getByRole('heading', { level: 3 })).toHaveText(
    'The server will not introspect this type of token',
  );
  const body = await lastRecordedBody(step);
  await expect(explanation.getByTestId('said-error')).toHaveText('unsupported_token_type');
  await expect(explanation.getByTestId('said-description')).toHaveText(String(body.error_description));
});

test('the client-credentials tester, when the provider refuses the server’s credentials: the route’s own code and message, and what to check', async ({
  page,
  request,
}) => {
  await signIn(page);
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
  // Whatever service token the app has cached for Fenergo expires first, so the route asks the provider.
  const user = await request.post(`${ISSUER}/__sandbox/user-token`, { data: { scope: 'read:customers' } });
  const token = (await user.json()).access_token as string;
  await configureSandbox(request, { m2mTokenTtl: 1, m2mFail401: 1 });
  await request.get(`${APP_ORIGIN}/api/m2m/fenergo/entities`, { headers: { authorization: `Bearer ${token}` } });
  await new Promise((resolve) => setTimeout(resolve, 1_200));
  await configureSandbox(request, { m2mFail401: 0, refuseClientCredentials: 1 });

  await page.goto('/inspect');
  await page.getByRole('combobox', { name: 'Start from' }).selectOption('fenergo-saas');
  await page.getByLabel('Server-side provider (M2M_PROVIDERS)').fill('fenergo');
  await page.getByRole('button', { name: 'Request a token through the server' }).click();

  const refused = page.getByTestId('cc-refused');
  await expect(page.getByRole('region', { name: 'Client-credentials tester' }).getByRole('alert')).toBeVisible();
  await expect(page.getByText('The API refused the request')).toHaveCount(0);
  await expect(refused).toContainText('upstream_auth_failed');
  await expect(refused).toContainText('HTTP 502');
  const explanation = page.getByRole('region', { name: 'Client-credentials tester' }).getByTestId('explanation');
  await expect(explanation.getByTestId('server-said')).toContainText('Fieldpass’s server route said');
  await expect(explanation.getByTestId('said-error')).toHaveText('upstream_auth_failed');
  // The route's answer carries error_description, and is labelled so.
  await expect(explanation.getByTestId('server-said').locator('dt')).toHaveText(['error', 'error_description']);
  await expect(explanation.getByTestId('said-description')).toHaveText(
    'The provider refused the service credential: check the client id, secret and scope format in the server configuration.',
  );
  await expect(explanation.getByRole('heading', { level: 3 })).toHaveText(
    'The provider refused the server’s client credentials',
  );
  await expect(explanation).toContainText('M2M_FENERGO_CLIENT_SECRET');
  await expect(page.getByTestId('cc-result')).toHaveCount(0);
});

test('a code of Fieldpass’s own typed into the explainer is not presented as a server’s words', async ({ page }) => {
  await page.goto('/inspect');
  await page.getByLabel('Error code').fill('state_mismatch');
  const said = page.getByTestId('explanation').getByTestId('server-said');
  await expect(said).toContainText('a code of Fieldpass’s own, not a server’s');
  await expect(said).not.toContainText('The server’s words');
});
