// The partner route when the authorization server will not check its callers' tokens for it (the
// route's introspection credentials are wrong): users are told the service is unavailable, never
// to sign in again, and the operator reads it in readiness and in the log.

import { API_BASE_URL, ISSUER, M2M_ENV } from './harness';
import { configureSandbox, expect, test } from './fixtures';
import { startInstances } from './cluster.js';

let app: Awaited<ReturnType<typeof startInstances>>;

test.beforeAll(async () => {
  app = await startInstances(1, {
    PUBLIC_FENTU_ISSUER: ISSUER,
    PUBLIC_FENTU_CLIENT_ID: 'fieldpass',
    PUBLIC_FENTU_API_BASE_URL: API_BASE_URL,
    ...M2M_ENV,
    FENTU_INTROSPECTION_CLIENT_ID: 'fieldpass-route',
    FENTU_INTROSPECTION_CLIENT_SECRET: 'not-the-secret-fentu-knows',
  });
});

test.afterAll(async () => {
  await app?.stopAll();
});

test('introspection refusing the route: 503 "unavailable" for the user, readiness degraded, one log line without the secret', async ({
  request,
}) => {
  await configureSandbox(request, { opaqueAccessTokens: 1 });
  const token = (
    await (await request.post(`${ISSUER}/__sandbox/user-token`, { data: { scope: 'read:customers' } })).json()
  ).access_token as string;
  const [origin] = app.origins;
  expect((await (await request.get(`${origin}/readyz`)).json()).status).toBe('ready');

  for (let i = 0; i < 3; i += 1) {
    const answer = await request.get(`${origin}/api/m2m/fenergo/entities`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(answer.status()).toBe(503);
    expect(await answer.json()).toEqual({
      error: 'service_unavailable',
      error_description: 'This service is unavailable right now.',
    });
    expect(answer.headers()['www-authenticate']).toBeUndefined();
  }

  await expect
    .poll(async () => (await (await request.get(`${origin}/readyz`)).json()) as { status: string })
    .toMatchObject({ status: 'degraded', degraded: [{ name: 'caller checks', ok: false }] });
  const lines = app
    .output(0)
    .split('\n')
    .filter((line) => line.includes('caller check unavailable'));
  expect(lines).toHaveLength(1);
  expect(lines[0]).not.toContain('not-the-secret-fentu-knows');
});
