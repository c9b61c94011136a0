// The server-side client-credentials route, against the sandbox's confidential clients and its
// machine-to-machine API. Callers carry a real user access token minted by the sandbox.

import { randomBytes } from 'node:crypto';
import { createServer, request as httpRequest } from 'node:http';
import type { APIRequestContext } from '@playwright/test';
import { APP_ORIGIN, CANARY, ISSUER, TENANT_ID } from './harness';
import { configureSandbox, expect, sandboxStats, signIn, test } from './fixtures';

async function userToken(request: APIRequestContext, scope: string): Promise<string> {
  const response = await request.post(`${ISSUER}/__sandbox/user-token`, { data: { scope } });
  return (await response.json()).access_token;
}

function route(path: string) {
  return `${APP_ORIGIN}/api/m2m${path}`;
}

/** A GET with the path sent exactly as written: no client-side normalisation of `..` or `%2e`. */
function rawGet(path: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: Number(new URL(APP_ORIGIN).port),
        path: `/api/m2m${path}`,
        headers: { authorization: `Bearer ${token}` },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Leaves the app holding an expired service token for Fenergo, whatever it had cached before. */
async function expireServiceTokens(request: APIRequestContext, token: string) {
  // One upstream 401 makes the route fetch a new token, which the sandbox issues for one second.
  await configureSandbox(request, { m2mTokenTtl: 1, m2mFail401: 1 });
  await request.get(route('/fenergo/entities'), { headers: { authorization: `Bearer ${token}` } });
  await new Promise((resolve) => setTimeout(resolve, 1_200));
  await configureSandbox(request, { m2mTokenTtl: 60, m2mFail401: 0 });
}

test('client_secret_post and client_secret_basic send the exact request the providers document (#90)', async ({
  request,
}) => {
  const token = await userToken(request, 'read:customers read:assets');
  await expireServiceTokens(request, token);
  const headers = { authorization: `Bearer ${token}` };
  expect((await request.get(route('/fenergo/entities'), { headers })).status()).toBe(200);
  // A 401 from the upstream makes the route fetch a fresh Fenris token too.
  await configureSandbox(request, { m2mFail401: 1 });
  expect((await request.get(route('/fenris/policies'), { headers })).status()).toBe(200);

  const { lastRequest } = (await sandboxStats(request)).clientCredentials;
  // Fenergo: everything in the form body, no Authorization header.
  const fenergo = lastRequest['fenergo-sandbox'];
  expect(fenergo.authorization).toBeNull();
  expect(fenergo.contentType).toMatch(/^application\/x-www-form-urlencoded/);
  expect(fenergo.body).toBe(
    `scope=fenx.entitydata.read+fenx.journey.read+tenant%2F${TENANT_ID}&grant_type=client_credentials` +
      `&client_id=fenergo-sandbox&client_secret=${CANARY.fenergoSecret}`,
  );
  expect(Object.fromEntries(new URLSearchParams(fenergo.body))).toEqual({
    grant_type: 'client_credentials',
    client_id: 'fenergo-sandbox',
    client_secret: CANARY.fenergoSecret,
    scope: `fenx.entitydata.read fenx.journey.read tenant/${TENANT_ID}`,
  });
  // Fenris: HTTP Basic with the form-urlencoded id and secret (RFC 6749 §2.3.1), nothing else in the body.
  const fenris = lastRequest['fenris-sandbox'];
  const encode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2).replace(/-/g, '%2D');
  expect(fenris.authorization).toBe(
    `Basic ${Buffer.from(`${encode('fenris-sandbox')}:${encode(CANARY.fenrisSecret)}`).toString('base64')}`,
  );
  expect(fenris.contentType).toMatch(/^application\/x-www-form-urlencoded/);
  expect(fenris.body).toBe('grant_type=client_credentials');
});

test('200 concurrent calls with an expired cache cost exactly one token request (#87)', async ({ request }) => {
  const token = await userToken(request, 'read:customers');
  await expireServiceTokens(request, token);
  const before = await sandboxStats(request);

  const answers = await Promise.all(
    Array.from({ length: 200 }, () =>
      request.get(route('/fenergo/entities'), { headers: { authorization: `Bearer ${token}` } }),
    ),
  );

  expect(answers.map((a) => a.status())).toEqual(Array(200).fill(200));
  const after = await sandboxStats(request);
  expect(
    after.clientCredentials.byClient['fenergo-sandbox'] - before.clientCredentials.byClient['fenergo-sandbox'],
  ).toBe(1);
  expect(after.m2m.requests - before.m2m.requests).toBe(200);
});

test('after the service token expires exactly one new one is fetched (#86)', async ({ request }) => {
  const token = await userToken(request, 'read:customers');
  await expireServiceTokens(request, token);
  const before = await sandboxStats(request);
  for (let i = 0; i < 5; i += 1) {
    expect(
      (await request.get(route('/fenergo/journeys'), { headers: { authorization: `Bearer ${token}` } })).status(),
    ).toBe(200);
  }
  const after = await sandboxStats(request);
  expect(
    after.clientCredentials.byClient['fenergo-sandbox'] - before.clientCredentials.byClient['fenergo-sandbox'],
  ).toBe(1);
});

test('a 401 from the upstream drops the cached token and retries once (#86)', async ({ request }) => {
  const token = await userToken(request, 'read:customers');
  await request.get(route('/fenergo/entities'), { headers: { authorization: `Bearer ${token}` } });
  await configureSandbox(request, { m2mFail401: 1 });
  const before = await sandboxStats(request);

  const answer = await request.get(route('/fenergo/entities'), { headers: { authorization: `Bearer ${token}` } });

  expect(answer.status()).toBe(200);
  const after = await sandboxStats(request);
  expect(
    after.clientCredentials.byClient['fenergo-sandbox'] - before.clientCredentials.byClient['fenergo-sandbox'],
  ).toBe(1);
  expect((after.m2m.byStatus['401'] ?? 0) - (before.m2m.byStatus['401'] ?? 0)).toBe(1);
  expect(after.m2m.requests - before.m2m.requests).toBe(2);
});

test('anonymous, invalid and wrong-scope callers are refused before any upstream call (#83)', async ({ request }) => {
  const before = await sandboxStats(request);
  const anonymous = await request.get(route('/fenergo/entities'));
  expect(anonymous.status()).toBe(401);
  expect(anonymous.headers()['www-authenticate']).toContain('error="invalid_token"');

  const forged = await request.get(route('/fenergo/entities'), {
    headers: { authorization: 'Bearer not-a-real-token' },
  });
  expect(forged.status()).toBe(401);

  const narrow = await userToken(request, 'read:work-orders');
  const wrongScope = await request.get(route('/fenergo/entities'), { headers: { authorization: `Bearer ${narrow}` } });
  expect(wrongScope.status()).toBe(403);
  expect(await wrongScope.json()).toMatchObject({ error: 'insufficient_scope', scope: 'read:customers' });

  // A service token is a real token from the same issuer, but for another audience.
  const service = await request.post(`${ISSUER}/token`, {
    form: { grant_type: 'client_credentials', client_id: 'fenris-sandbox', client_secret: CANARY.fenrisSecret },
  });
  const otherAudience = (await service.json()).access_token;
  expect(
    (await request.get(route('/fenergo/entities'), { headers: { authorization: `Bearer ${otherAudience}` } })).status(),
  ).toBe(401);

  // An expired user token.
  await configureSandbox(request, { accessTokenTtl: 1 });
  const shortLived = await userToken(request, 'read:customers');
  // Past its one-second life and the route's 5 s clock tolerance.
  await new Promise((resolve) => setTimeout(resolve, 7_000));
  const expired = await request.get(route('/fenergo/entities'), { headers: { authorization: `Bearer ${shortLived}` } });
  expect(expired.status()).toBe(401);
  expect(expired.headers()['www-authenticate']).toContain('error="invalid_token"');

  const after = await sandboxStats(request);
  expect(after.m2m.requests).toBe(before.m2m.requests);
  // Only the test's own service-token request above reached the token endpoint.
  expect(after.clientCredentials.byClient['fenergo-sandbox']).toBe(
    before.clientCredentials.byClient['fenergo-sandbox'],
  );
});

test('path tricks, other hosts and redirects never reach anything but the allow-listed API (#85)', async ({
  request,
}) => {
  const token = await userToken(request, 'read:customers read:assets');
  const headers = { authorization: `Bearer ${token}` };
  // A trap where a followed redirect would land.
  let trapped = 0;
  const trap = createServer((_req, res) => {
    trapped += 1;
    res.end('trap');
  });
  await new Promise<void>((resolve) => trap.listen(2375, '127.0.0.1', resolve));
  try {
    const before = await sandboxStats(request);
    // Sent byte for byte: whatever SvelteKit makes of them, none may reach the upstream.
    const cases: Array<[string, number]> = [
      ['/fenergo/admin', 403],
      // SvelteKit decodes and resolves the dots itself; the result matches no route.
      ['/fenergo/entities/%2e%2e/%2e%2e/admin', 404],
      ['/fenergo/entities/../../admin', 404],
      ['/fenergo/entities%2F..%2Fadmin', 400],
      ['/fenergo//evil.example/x', 400],
      ['/fenergo/http:%2F%2F169.254.169.254%2Flatest', 400],
      ['/fenergo/entities@evil.example', 400],
      ['/fenergo/%5Cevil.example', 400],
      ['/fenergo/entities?next=http%3A%2F%2F169.254.169.254', 400],
      ['/fenris/entities', 403],
      ['/nobody/entities', 404],
    ];
    for (const [path, status] of cases) expect(await rawGet(path, token), path).toBe(status);
    const after = await sandboxStats(request);
    expect(after.m2m.requests).toBe(before.m2m.requests);

    const redirected = await request.get(route('/fenergo/redirect-out'), { headers, maxRedirects: 0 });
    expect(redirected.status()).toBe(502);
    expect(redirected.headers()['location']).toBeUndefined();
    expect(trapped).toBe(0);
  } finally {
    trap.close();
  }
});

test('a signed-in user sees partner data through the route; responses are no-store and hold no secret (#81, #82, #93)', async ({
  page,
}) => {
  const partnerResponses: Array<{ headers: Record<string, string> }> = [];
  page.on('response', (r) => {
    if (r.url().startsWith(`${APP_ORIGIN}/api/m2m`)) partnerResponses.push({ headers: r.headers() });
  });
  await signIn(page);
  await page.getByRole('link', { name: 'Integrations' }).click();
  const partners = page.getByRole('region', { name: 'Partner services' });
  await partners.getByRole('button', { name: 'Load /entities' }).click();
  await expect(partners.getByText('Harbourside Medical Centre Ltd')).toBeVisible();
  await partners.getByRole('button', { name: 'Load /policies' }).click();
  await expect(partners.getByText('The Old Mill Hotel')).toBeVisible();

  expect(partnerResponses.length).toBeGreaterThanOrEqual(3);
  for (const { headers } of partnerResponses) {
    expect(headers['cache-control']).toBe('no-store');
    expect(headers['access-control-allow-origin']).toBeUndefined();
  }
});

test('a caller with an opaque access token is checked by introspection, once for repeated calls; an unknown one is refused', async ({
  request,
}) => {
  // The sandbox issues opaque access tokens here, as many authorization servers do.
  await configureSandbox(request, { opaqueAccessTokens: 1 });
  const token = await userToken(request, 'read:customers');
  expect(token.split('.')).toHaveLength(1);
  const introspections = async () =>
    ((await (await request.get(`${ISSUER}/__sandbox/stats`)).json()) as { introspection: { requests: number } })
      .introspection.requests;
  const before = await introspections();

  for (let i = 0; i < 3; i += 1) {
    const answer = await request.get(route('/fenergo/entities'), { headers: { authorization: `Bearer ${token}` } });
    expect(answer.status()).toBe(200);
  }
  expect(await introspections()).toBe(before + 1);

  const unknown = await request.get(route('/fenergo/entities'), {
    headers: { authorization: `Bearer ${randomBytes(32).toString('base64url')}` },
  });
  expect(unknown.status()).toBe(401);
  expect(unknown.headers()['www-authenticate']).toContain('error="invalid_token"');
  expect(await introspections()).toBe(before + 2);
});
