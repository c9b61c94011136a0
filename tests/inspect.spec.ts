// The developer inspector (/inspect), used as a developer would, against the sandbox.

import { readFile } from 'node:fs/promises';
import { answerAtSandbox, configureSandbox, expect, openRecord, sandboxStats, signIn, test } from './fixtures';
import { APP_ORIGIN, CANARY, ISSUER } from './harness';

const CALLBACK = `${APP_ORIGIN}/inspect/callback`;

test('a redirect URI with a trailing-slash mismatch: the difference is shown and explained (#15)', async ({ page }) => {
  await page.goto('/inspect');
  await page.getByLabel('Redirect URI', { exact: true }).fill(`${CALLBACK}/`);
  await page.getByLabel(/Registered redirect URIs/).fill(CALLBACK);

  await expect(page.getByTestId('verdict')).toContainText('No exact match');
  await expect(page.getByTestId('verdict')).toContainText('redirect_uri_mismatch');
  // Character by character: the extra slash is the only thing added.
  await expect(page.getByTestId('diff').locator('ins')).toHaveText(['/']);
  await expect(page.getByTestId('diff').locator('del')).toHaveCount(0);
  await expect(page.getByRole('list', { name: 'Differences' })).toContainText(/ends in a slash/i);
  // Not where the inspector itself listens, so the flow would not come back (#20).
  await expect(page.getByTestId('not-our-callback')).toBeVisible();

  // Fixed: an exact match.
  await page.getByLabel('Redirect URI', { exact: true }).fill(CALLBACK);
  await expect(page.getByTestId('verdict')).toContainText('Matches a registered URI');
  await expect(page.getByTestId('not-our-callback')).toHaveCount(0);
});

/** Runs the inspector's flow to the callback page, signing in at the sandbox. */
async function runFlow(page: import('@playwright/test').Page) {
  await page.goto('/inspect');
  await page.getByRole('button', { name: '1. Read the server’s metadata' }).click();
  await expect(page.getByText(`${ISSUER}/token`).first()).toBeVisible();
  await page.getByRole('button', { name: '2. Build the authorization request' }).click();
  const parameters = page.getByRole('table', { name: 'Authorization request parameters' });
  for (const name of [
    'response_type',
    'client_id',
    'redirect_uri',
    'scope',
    'state',
    'code_challenge',
    'code_challenge_method',
    'nonce',
    'dpop_jkt',
  ]) {
    await expect(parameters.getByRole('cell', { name, exact: true })).toBeVisible();
  }
  // The sandbox offers PAR: the request is pushed from the page, as a step of its own, before the
  // redirect; signed by the attempt's key, so the sandbox first asks for a DPoP nonce.
  await expect(page.getByText(`${ISSUER}/request`).first()).toBeVisible();
  await page.getByRole('button', { name: '3. Push the request to the server (PAR)' }).click();
  const pushes = page.locator('details.exchange').filter({ hasText: 'Pushed authorization request' });
  await expect(pushes.locator('summary')).toHaveText([
    /^Pushed authorization request: POST\s+\S+\/request\s+→ HTTP 400$/,
    /^Pushed authorization request \(again\): POST\s+\S+\/request\s+→ HTTP 201$/,
  ]);
  const curl = (await pushes.last().getByTestId('curl').textContent()) ?? '';
  expect(curl).toContain(`${ISSUER}/request`);
  expect(curl).toContain('code_challenge_method=S256');
  expect(curl).toContain(`redirect_uri=${CALLBACK}`);
  expect(curl).toContain('<dpop_proof>');
  expect(curl).not.toContain('code_verifier');
  const url = new URL((await page.getByTestId('authorization-url').textContent()) ?? '');
  expect([...url.searchParams.keys()]).toEqual(['client_id', 'request_uri']);
  expect(url.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/);
  await page.getByRole('link', { name: '4. Go to the server' }).click();
  await answerAtSandbox(page, CALLBACK);
}

test('a server without PAR: the built request is the address to go to, with nothing pushed', async ({
  page,
  request,
}) => {
  await configureSandbox(request, { pushedAuthorizationRequests: 0 });
  const before = await sandboxStats(request);
  await page.goto('/inspect');
  await page.getByRole('button', { name: '1. Read the server’s metadata' }).click();
  await expect(page.getByText('not offered')).toBeVisible();
  await page.getByRole('button', { name: '2. Build the authorization request' }).click();
  const url = new URL((await page.getByTestId('authorization-url').textContent()) ?? '');
  expect(url.searchParams.get('code_challenge_method')).toBe('S256');
  expect(url.searchParams.get('redirect_uri')).toBe(CALLBACK);
  expect(url.searchParams.has('code_verifier')).toBe(false);
  expect(url.searchParams.has('request_uri')).toBe(false);
  await expect(page.getByRole('button', { name: /Push the request/ })).toHaveCount(0);
  await page.getByRole('link', { name: '3. Go to the server' }).click();
  await page.waitForURL(`${ISSUER}/**`);
  expect((await sandboxStats(request)).pushedAuthorization).toEqual(before.pushedAuthorization);
  expect((await sandboxStats(request)).authorization.requests).toBe(before.authorization.requests + 1);
});

test('the full flow step by step: every check, the token request as curl, decoded tokens, refresh, userinfo and revoke', async ({
  page,
  request,
}) => {
  const pushedBefore = (await sandboxStats(request)).pushedAuthorization;
  await runFlow(page);
  const pushedAfter = (await sandboxStats(request)).pushedAuthorization;
  expect(pushedAfter.requests).toBe(pushedBefore.requests + 1);
  expect(pushedAfter.nonceChallenges).toBe(pushedBefore.nonceChallenges + 1);
  // The code left the address bar at once.
  await expect(page).toHaveURL(CALLBACK);
  const checks = page.getByRole('list', { name: 'Callback checks' });
  for (const name of [
    'state is present, once',
    'state matches an attempt started here',
    'the attempt is fresh',
    'iss names the expected server (RFC 9207)',
    'no error in the answer',
    'exactly one code',
  ]) {
    await expect(checks.getByText(`Passed: ${name}`)).toBeVisible();
  }
  await expect(checks.getByText(/^Failed/)).toHaveCount(0);

  const before = await sandboxStats(request);
  await page.getByRole('button', { name: 'Exchange the code for tokens' }).click();
  const exchange = page.getByRole('region', { name: 'Code exchange' });
  await expect(exchange.getByText('Tokens received.')).toBeVisible();
  // The token request as curl, with the code and the verifier masked.
  const curl = (await exchange.getByTestId('curl').last().textContent()) ?? '';
  expect(curl).toContain(`curl`);
  expect(curl).toContain(`${ISSUER}/token`);
  expect(curl).toContain('grant_type=authorization_code');
  expect(curl).toContain('<code_verifier>');
  expect(curl).toContain('<code>');
  expect(curl).toContain('<dpop_proof>');
  expect((await sandboxStats(request)).token.byGrantType.authorization_code).toBe(
    (before.token.byGrantType.authorization_code ?? 0) + 1,
  );

  // Tokens: masked, and the access token decoded with readable times and a countdown.
  const access = page.getByRole('region', { name: 'Access token' });
  await expect(access.getByTestId('masked-token')).toContainText('…');
  await expect(access.getByTestId('claims')).toContainText(`"sub": "tech-0042"`);
  await expect(access.getByTestId('expiry')).toContainText(/Expires in \d+/);
  await expect(access.getByRole('cell', { name: 'exp' })).toBeVisible();
  await expect(page.getByRole('region', { name: 'ID token' }).getByTestId('claims')).toContainText(
    `"sub": "tech-0042"`,
  );
  await expect(page.getByTestId('token-response')).toContainText(/"token_type": "dpop"/i);

  await page.getByRole('button', { name: 'Refresh' }).click();
  await expect(page.getByRole('region', { name: 'Refresh' }).getByText('New tokens received.')).toBeVisible();
  await page.getByRole('button', { name: 'Call UserInfo' }).click();
  // The sandbox's access tokens are JWTs for the Fentu API, which its UserInfo endpoint does not
  // take: the inspector shows the refusal as the server sent it, explained.
  const userInfo = page.getByRole('region', { name: 'UserInfo' });
  await expect(userInfo.getByText('The server refused: invalid_token (HTTP 401)')).toBeVisible();
  await expect(userInfo.getByTestId('explanation')).toContainText('meant for another API');
  await page.getByRole('button', { name: 'Revoke' }).click();
  await expect(page.getByRole('region', { name: 'Revoke the refresh token' }).getByText('Revoked.')).toBeVisible();
});

test('a code exchanged twice: invalid_grant, explained beside the failure (#35)', async ({ page, request }) => {
  await runFlow(page);
  await page.getByRole('button', { name: 'Exchange the code for tokens' }).click();
  await expect(page.getByText('Tokens received.')).toBeVisible();
  const before = await sandboxStats(request);

  await page.getByRole('button', { name: 'Exchange the same code again' }).click();

  const replay = page.getByRole('region', { name: 'The same code, exchanged again' });
  await expect(replay.getByText('The server refused: invalid_grant')).toBeVisible();
  const explanation = replay.getByTestId('explanation');
  await expect(explanation).toContainText('invalid_grant');
  // Recognised as a reused code, not the generic reading of invalid_grant.
  await expect(explanation.getByRole('heading', { name: 'The authorization code was already used' })).toBeVisible();
  const after = await sandboxStats(request);
  expect(after.token.errors.invalid_grant - (before.token.errors.invalid_grant ?? 0)).toBe(1);
});

test('a hostile callback: the failed checks are shown and nothing is exchanged (#22)', async ({ page, request }) => {
  const before = await sandboxStats(request);
  await page.goto(`/inspect/callback?code=abc&state=forged&iss=${encodeURIComponent('https://evil.example')}`);
  const checks = page.getByRole('list', { name: 'Callback checks' });
  await expect(checks.getByText('Failed: state matches an attempt started here')).toBeVisible();
  // Fieldpass's own reading of a state that matches nothing: no server was asked, and it is not a malformed request.
  const explanation = page.getByTestId('explanation');
  await expect(explanation.getByTestId('no-server-answer')).toContainText('No server answered with this.');
  await expect(explanation.getByTestId('no-server-answer')).toContainText('state_mismatch');
  await expect(explanation.getByRole('heading', { level: 3 })).toHaveText(
    'This callback does not answer a sign-in started here',
  );
  await expect(explanation).toContainText('started in another browser or browser profile');
  await expect(explanation).toContainText('forged or replayed');
  await expect(explanation).toContainText('RFC 6749 §10.12 · RFC 9700 §4.7');
  await expect(explanation).not.toContainText('malformed');
  await expect(explanation.getByTestId('undetermined')).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Exchange the code for tokens' })).toHaveCount(0);
  expect((await sandboxStats(request)).token.requests).toBe(before.token.requests);
});

test('decode a pasted token: header, claims, readable times and the expiry countdown; any error code explained', async ({
  page,
}) => {
  await page.goto('/inspect');
  const b64u = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const exp = Math.floor(Date.now() / 1000) + 600;
  const claims = { sub: 'tech-0042', scope: 'read:assets', exp, iat: exp - 3600 };
  const jwt = `${b64u({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' })}.${b64u(claims)}.c2lnbmF0dXJl`;
  await page.getByLabel(/Paste a JWT/).fill(jwt);
  const pasted = page.getByRole('region', { name: 'Pasted token' });
  await expect(pasted.getByTestId('claims')).toContainText('"scope": "read:assets"');
  await expect(pasted.getByText('"typ": "at+jwt"')).toBeVisible();
  await expect(pasted.getByTestId('expiry')).toContainText(/Expires in (9|10) min/);
  await expect(pasted.getByRole('cell', { name: new Date(exp * 1000).toISOString() })).toBeVisible();
  // The token itself is never shown whole.
  await expect(pasted.getByTestId('masked-token')).not.toHaveText(jwt);

  await page.getByLabel('Error code').fill('redirect_uri_mismatch');
  await expect(page.getByTestId('explanation')).toContainText(/registered/i);
  await page.getByLabel('Error code').fill('<img src=x onerror=window.__pwned=1>');
  await expect(page.getByTestId('explanation')).toBeVisible();
  expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
});

test('export and import a profile: the file holds no secret, and comes back the same (#64)', async ({ page }) => {
  await page.goto('/inspect');
  await page.getByLabel('Name').fill('Sandbox for the export test');
  await page.getByRole('button', { name: 'Save profile' }).click();
  await expect(page.getByText('Saved “Sandbox for the export test” in this browser.')).toBeVisible();

  // One click downloads the file.
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export profiles' }).click();
  expect((await download).suggestedFilename()).toBe('fieldpass-profiles.json');
  const text = (await readFile(await (await download).path())).toString('utf8');
  const exported = JSON.parse(text) as { format: string; profiles: Array<Record<string, unknown>> };
  expect(exported.format).toBe('fieldpass-profiles');
  const mine = exported.profiles.find((p) => p.name === 'Sandbox for the export test');
  expect(mine).toBeDefined();
  expect(Object.keys(mine!).filter((k) => /secret|token|password/i.test(k))).toEqual([]);
  expect(text).not.toMatch(/client_secret|access_token|refresh_token|code_verifier/);

  // A file with a smuggled secret: the profile comes in the same, the secret does not, and the user is told.
  const copy = { ...mine!, id: 'imported-one', name: 'Imported' };
  const hostile = { ...exported, profiles: [{ ...copy, client_secret: 'smuggled-secret' }] };
  await page.getByText('Import profiles').click();
  await page.getByLabel('Or paste JSON').fill(JSON.stringify(hostile));
  await page.getByRole('button', { name: 'Import' }).click();
  await expect(page.getByRole('status')).toContainText('added 1 new profile (“Imported”)');
  await expect(page.getByRole('status')).toContainText('secrets are never imported');
  // What was stored (opened with the inspector's key) is the exported profile under its new id, nothing more.
  const stored = await openRecord(page, 'profile:imported-one', 'fieldpass-inspector');
  expect(stored).toEqual(copy);
  expect(JSON.stringify(stored)).not.toContain('smuggled-secret');
  await page.reload();
  await expect(page.getByRole('option', { name: 'Imported' })).toHaveCount(1);
});

test('the client-credentials tester: a masked token through the server, then from its cache (#81)', async ({
  page,
}) => {
  await signIn(page);
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
  await page.goto('/inspect');
  await page.getByRole('combobox', { name: 'Start from' }).selectOption('fenergo-saas');
  await page.getByLabel('Server-side provider (M2M_PROVIDERS)').fill('fenergo');
  await page.getByRole('button', { name: 'Request a token through the server' }).click();
  const result = page.getByTestId('cc-result');
  await expect(result).toContainText('fenergo');
  await expect(result).toContainText('…');
  const requestsOf = (text: string) => Number(/tokenRequests\s*(\d+)/.exec(text)?.[1]);
  const first = (await result.textContent()) ?? '';
  expect(first).not.toContain(CANARY.fenergoSecret);
  await page.getByRole('button', { name: 'Request a token through the server' }).click();
  // The second ask is answered from the server's cache: no new token request.
  await expect(result).toContainText(/fromCache\s*true/);
  expect(requestsOf((await result.textContent()) ?? '')).toBe(requestsOf(first));
});

test('the scope builder counts against Fenergo’s 300-character limit and warns about fenx.all', async ({ page }) => {
  await page.goto('/inspect');
  await page.getByRole('combobox', { name: 'Start from' }).selectOption('fenergo-saas');
  await expect(page.getByTestId('scope-count')).toContainText('of 300 characters');
  await page.getByRole('checkbox', { name: /fenx\.all/ }).check();
  await expect(page.getByTestId('scope-value')).toContainText('fenx.all');
  await expect(page.getByText(/every Fenergo API/).last()).toBeVisible();
  // Ticking the whole catalog goes over the limit, and the count says by how much.
  for (const box of await page.getByRole('region', { name: 'Scopes' }).getByRole('checkbox').all()) await box.check();
  await expect(page.getByTestId('scope-count')).toContainText('over the limit by');
});
