// Three `node build` instances behind one address, sharing one real Redis (their own
// redis-server, started here) and the sandbox: the client-credentials route's token cache, rate
// limits and DPoP replay checks hold across instances, through a Redis outage and a restart.

import type { APIRequestContext, Page } from '@playwright/test';
import { ISSUER, SECOND } from './harness';
import { dpopProof, expect, sandboxStats, signIn, storedSession, test } from './fixtures';
import { startInstances, startRedis } from './cluster.js';
import { sharedEnvironment } from './instances';

/** The one address users and proofs name; each instance is reached on its own port behind it. */
const PUBLIC_ORIGIN = 'https://fieldpass.test';
const PROVIDER_LIMIT = 100;
const USER_LIMIT = 500;

const tokenRequests = async (request: APIRequestContext, client: string) =>
  (await sandboxStats(request)).clientCredentials.byClient[client] ?? 0;

let redis: Awaited<ReturnType<typeof startRedis>>;
let instances: Awaited<ReturnType<typeof startInstances>>;
let environment: Record<string, string>;
/** The sandbox's count of Fenris token requests before any instance started. */
let fenrisTokensBefore = 0;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async ({ request }) => {
  fenrisTokensBefore = await tokenRequests(request, 'fenris-sandbox');
  redis = await startRedis();
  environment = sharedEnvironment(redis.url, {
    ORIGIN: PUBLIC_ORIGIN,
    M2M_FENERGO_RATE_LIMIT: `${PROVIDER_LIMIT}/60s`,
    M2M_USER_RATE_LIMIT: `${USER_LIMIT}/60s`,
  });
  instances = await startInstances(3, environment);
});

test.afterAll(async () => {
  await instances?.stopAll();
  await redis?.stop();
});

async function userToken(request: APIRequestContext, scope: string, email?: string): Promise<string> {
  const response = await request.post(`${ISSUER}/__sandbox/user-token`, { data: { scope, email } });
  return (await response.json()).access_token;
}

/** A call to the route on instance `i` (round-robin when `i` counts past the last one). */
function call(request: APIRequestContext, i: number, path: string, token: string) {
  const origin = instances.origins[i % instances.origins.length];
  return request.get(`${origin}/api/m2m${path}`, { headers: { authorization: `Bearer ${token}` } });
}

test('three instances starting together, then 600 concurrent calls spread over them, cost exactly one token request', async ({
  request,
}) => {
  const sam = await userToken(request, 'read:assets');
  const ana = await userToken(request, 'read:assets', SECOND.email);
  // Each instance's start-up check asks for a token through the shared cache too.

  const answers = await Promise.all(
    Array.from({ length: 600 }, (_, i) => call(request, i, '/fenris/policies', i % 2 ? sam : ana)),
  );

  expect(answers.map((a) => a.status())).toEqual(Array(600).fill(200));
  expect((await tokenRequests(request, 'fenris-sandbox')) - fenrisTokensBefore).toBe(1);
});

test('one user past the per-user limit is refused by whichever instance they reach; another user still gets through', async ({
  request,
}) => {
  // Sam has used 300 of his 500 calls this minute in the test above; Ana 300 of hers.
  const sam = await userToken(request, 'read:assets');
  const ana = await userToken(request, 'read:assets', SECOND.email);
  const answers = await Promise.all(Array.from({ length: 210 }, (_, i) => call(request, i, '/fenris/policies', sam)));
  const statuses = answers.map((a) => a.status());
  expect(statuses.filter((s) => s === 200)).toHaveLength(USER_LIMIT - 300);
  const refused = answers.filter((a) => a.status() === 429);
  expect(refused).toHaveLength(10);
  for (const answer of refused) {
    expect(Number(answer.headers()['retry-after'])).toBeGreaterThan(0);
    expect(answer.headers()['cache-control']).toBe('no-store');
    expect((await answer.json()).error).toBe('rate_limited');
  }
  // Each instance alone would have let all of its 70 through: the count is shared. And every
  // instance now refuses him.
  for (let i = 0; i < 3; i += 1) expect((await call(request, i, '/fenris/policies', sam)).status()).toBe(429);

  expect((await call(request, 0, '/fenris/policies', ana)).status()).toBe(200);
});

test(`a provider limit of ${PROVIDER_LIMIT} a minute: the next call is refused with Retry-After, whichever instance it reaches`, async ({
  request,
}) => {
  const ana = await userToken(request, 'read:customers', SECOND.email);
  const before = (await sandboxStats(request)).m2m.requests;
  const answers = await Promise.all(
    Array.from({ length: PROVIDER_LIMIT }, (_, i) => call(request, i, '/fenergo/entities', ana)),
  );
  expect(answers.map((a) => a.status())).toEqual(Array(PROVIDER_LIMIT).fill(200));

  for (let i = 0; i < 3; i += 1) {
    const next = await call(request, i, '/fenergo/entities', ana);
    expect(next.status()).toBe(429);
    expect(Number(next.headers()['retry-after'])).toBeGreaterThan(0);
  }
  // Fieldpass refused them itself: the partner saw the hundred calls and no more.
  expect((await sandboxStats(request)).m2m.requests - before).toBe(PROVIDER_LIMIT);
});

/**
 * The headers of a DPoP-bound call to `url`, made with the signed-in app's token and a fresh proof
 * signed by its own key.
 */
async function boundCall(page: Page, url: string): Promise<Record<string, string>> {
  await expect.poll(async () => (await storedSession(page))?.access_token).toBeTruthy();
  const accessToken = String((await storedSession(page))?.access_token);
  return { authorization: `DPoP ${accessToken}`, dpop: await dpopProof(page, { url, method: 'GET', accessToken }) };
}

test('a DPoP proof accepted by one instance is refused when replayed to another', async ({ page, request }) => {
  await signIn(page, { account: SECOND, tick: ['read:assets'] });
  const path = '/api/m2m/fenris/policies';
  const headers = await boundCall(page, `${PUBLIC_ORIGIN}${path}`);

  const first = await request.get(`${instances.origins[0]}${path}`, { headers });
  expect(first.status()).toBe(200);
  const replayed = await request.get(`${instances.origins[1]}${path}`, { headers });
  expect(replayed.status()).toBe(401);
  expect(replayed.headers()['www-authenticate']).toContain('error="invalid_dpop_proof"');

  // A fresh proof for the same call is fine anywhere.
  const fresh = await request.get(`${instances.origins[2]}${path}`, {
    headers: await boundCall(page, `${PUBLIC_ORIGIN}${path}`),
  });
  expect(fresh.status()).toBe(200);
});

test('one instance restarted: it and the others keep the shared token, and no token request is made', async ({
  request,
}) => {
  const ana = await userToken(request, 'read:assets', SECOND.email);
  const before = await tokenRequests(request, 'fenris-sandbox');
  await instances.stop(1);
  expect((await call(request, 0, '/fenris/policies', ana)).status()).toBe(200);
  await instances.start(1);
  const answers = await Promise.all([0, 1, 2].map((i) => call(request, i, '/fenris/policies', ana)));
  expect(answers.map((a) => a.status())).toEqual([200, 200, 200]);
  expect((await tokenRequests(request, 'fenris-sandbox')) - before).toBe(0);
});

test('Redis stopped mid-run: calls keep working on each instance, readiness says degraded, DPoP proofs fail closed; all recovers', async ({
  page,
  request,
}) => {
  const ana = await userToken(request, 'read:assets', SECOND.email);
  await signIn(page, { account: SECOND, tick: ['read:assets'] });
  const path = '/api/m2m/fenris/policies';
  await redis.stop();

  // Service tokens fall back to each instance's memory: Bearer calls keep working.
  const answers = await Promise.all([0, 1, 2].map((i) => call(request, i, '/fenris/policies', ana)));
  expect(answers.map((a) => a.status())).toEqual([200, 200, 200]);
  // Readiness says so without taking the instances out of rotation: pages and most calls work.
  for (const origin of instances.origins) {
    const ready = await request.get(`${origin}/readyz`);
    expect(ready.status()).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'degraded', degraded: [{ name: 'redis', ok: false }] });
    expect((await request.get(`${origin}/healthz`)).status()).toBe(200);
  }
  // A DPoP proof cannot be checked for replay: refused with 503, not as a sign-in problem.
  const bound = await request.get(`${instances.origins[0]}${path}`, {
    headers: await boundCall(page, `${PUBLIC_ORIGIN}${path}`),
  });
  expect(bound.status()).toBe(503);
  expect(JSON.stringify(await bound.json())).not.toContain(redis.url);
  // Each instance logged the outage once, without the sealing key.
  const outages = (i: number) =>
    instances
      .output(i)
      .split('\n')
      .filter((line) => line.includes('"shared_state_unavailable"'));
  for (const i of [0, 1, 2]) {
    await expect.poll(() => outages(i).length).toBe(1);
    expect(outages(i)[0]).not.toContain(environment.M2M_CACHE_KEY);
  }

  await redis.start();
  // Redis answers again; what stays degraded for a minute is the caller checks, as a DPoP proof
  // was refused in that time.
  const degraded = async () =>
    ((await (await request.get(`${instances.origins[0]}/readyz`)).json()).degraded ?? []).map(
      (check: { name: string }) => check.name,
    );
  await expect.poll(degraded, { timeout: 15_000 }).toEqual(['caller checks']);
  const again = await request.get(`${instances.origins[0]}${path}`, {
    headers: await boundCall(page, `${PUBLIC_ORIGIN}${path}`),
  });
  expect(again.status()).toBe(200);
});
