import { beforeEach, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../base/memory-store.js';
import { callApi } from './api.js';
import { DPOP_KEY, dpopKeyPair } from './dpop.js';
import type { FieldpassErrorCode } from '../base/errors.js';
import { fakeFetch, jsonResponse, type RecordedRequest } from './fake-fetch.test-util.js';
import { jwkThumbprint, keyPairThumbprint, proofOf, resourceNonceError, s256 } from './fake-fetch.test-util.js';
import { TEST_SERVER, rejectionOf } from './fake-fetch.test-util.js';
import type { CoreRuntime } from './runtime.js';
import { SESSION_KEY, type Session } from './session.js';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const API = 'https://api.example';
const RESET_SECONDS = T0 / 1000 + 900;

const server = TEST_SERVER;

function session(overrides: Partial<Session> = {}): Session {
  return {
    server,
    client_id: 'fieldpass',
    access_token: 'at-1',
    token_type: 'bearer',
    refresh_token: 'rt-1',
    expires_at: T0 + 3_000_000,
    expires_in: 3600,
    scope: 'read:work-orders',
    requested_scope: 'read:work-orders',
    updated_at: T0 - 600_000,
    ...overrides,
  };
}

const WORK_ORDERS = { items: [{ id: 'wo-1' }] };

const challenge401 = () =>
  new Response(JSON.stringify({ error: 'invalid_token' }), {
    status: 401,
    headers: { 'content-type': 'application/json', 'www-authenticate': 'Bearer error="invalid_token"' },
  });

let store: ReturnType<typeof createMemoryStore>;
let clock: number;
let requests: RecordedRequest[];
/** Answers API requests; `index` counts API requests only. */
let api: (request: RecordedRequest, index: number) => Response | Promise<Response>;
/** Answers refresh requests at the token endpoint. */
let token: () => Response;
let runtime: CoreRuntime;

const apiRequests = () => requests.filter((r) => r.url.startsWith(API));
const tokenRequests = () => requests.filter((r) => r.url === server.token_endpoint);

beforeEach(() => {
  clock = T0;
  store = createMemoryStore({ [SESSION_KEY]: session() });
  let apiCount = 0;
  api = () => jsonResponse(WORK_ORDERS);
  token = () => jsonResponse({ access_token: 'at-2', token_type: 'Bearer', expires_in: 3600, refresh_token: 'rt-2' });
  const fake = fakeFetch((request) => (request.url === server.token_endpoint ? token() : api(request, apiCount++)));
  requests = fake.requests;
  runtime = { store, fetch: fake.fetch, now: () => clock };
});

describe('callApi', () => {
  it('#59 sends the access token as a Bearer header only, and returns the body and rate limit', async () => {
    api = () =>
      jsonResponse(WORK_ORDERS, 200, {
        'x-ratelimit-limit': '100',
        'x-ratelimit-remaining': '99',
        'x-ratelimit-reset': String(RESET_SECONDS),
      });

    const result = await callApi<typeof WORK_ORDERS>(API, { path: '/work-orders' }, runtime);

    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request.url).toBe(`${API}/work-orders`);
    expect(request.method).toBe('GET');
    expect(request.headers.authorization).toBe('Bearer at-1');
    expect(request.headers).not.toHaveProperty('dpop');
    expect(request.headers.accept).toBe('application/json');
    expect(request.url).not.toContain('at-1');
    expect(request.body).toBeUndefined();
    expect(result).toEqual({
      status: 200,
      body: WORK_ORDERS,
      rateLimit: { limit: 100, remaining: 99, resetAt: RESET_SECONDS * 1000 },
    });
  });

  it('has no rate limit when the headers are missing or not numbers', async () => {
    api = () => jsonResponse(WORK_ORDERS, 200, { 'x-ratelimit-limit': 'many' });
    expect((await callApi(API, { path: '/work-orders' }, runtime)).rateLimit).toBeUndefined();
  });

  it('sends a JSON body for POST', async () => {
    await callApi(API, { path: '/work-orders', method: 'POST', body: { title: 'Fix pump' } }, runtime);
    expect(requests[0].method).toBe('POST');
    expect(requests[0].headers['content-type']).toBe('application/json');
    expect(JSON.parse(requests[0].body!)).toEqual({ title: 'Fix pump' });
  });

  it('#52 refreshes a due access token before the call', async () => {
    await store.set(SESSION_KEY, session({ expires_at: T0 + 10_000 }));
    await callApi(API, { path: '/work-orders' }, runtime);
    expect(requests.map((r) => r.url)).toEqual([server.token_endpoint, `${API}/work-orders`]);
    expect(requests[1].headers.authorization).toBe('Bearer at-2');
  });

  it('#52 401 invalid_token → one refresh, one retry with the new token', async () => {
    api = (_request, index) => (index === 0 ? challenge401() : jsonResponse(WORK_ORDERS));

    const result = await callApi(API, { path: '/work-orders' }, runtime);

    expect(result.body).toEqual(WORK_ORDERS);
    expect(requests.map((r) => r.url)).toEqual([`${API}/work-orders`, server.token_endpoint, `${API}/work-orders`]);
    expect(requests[0].headers.authorization).toBe('Bearer at-1');
    expect(requests[1].form?.get('refresh_token')).toBe('rt-1');
    expect(requests[2].headers.authorization).toBe('Bearer at-2');
    expect((store.data.get(SESSION_KEY) as Session).access_token).toBe('at-2');
  });

  it('#52 a second 401 after the retry → API_UNAUTHORIZED with no second refresh', async () => {
    api = () => challenge401();

    const err = await rejectionOf(callApi(API, { path: '/work-orders' }, runtime));

    expect(err.code).toBe('API_UNAUTHORIZED');
    expect(err.details).toMatchObject({ status: 401, error: 'invalid_token' });
    expect(tokenRequests()).toHaveLength(1);
    expect(apiRequests()).toHaveLength(2);
  });

  it('#47 401 and then invalid_grant on the refresh → SESSION_ENDED, no retry, session deleted', async () => {
    api = () => challenge401();
    token = () => jsonResponse({ error: 'invalid_grant' }, 400);

    const err = await rejectionOf(callApi(API, { path: '/work-orders' }, runtime));

    expect(err.code).toBe('SESSION_ENDED');
    expect(apiRequests()).toHaveLength(1);
    expect(tokenRequests()).toHaveLength(1);
    expect(store.data.has(SESSION_KEY)).toBe(false);
  });

  it('403 insufficient_scope → INSUFFICIENT_SCOPE naming the scope, with no refresh', async () => {
    api = () =>
      new Response(null, {
        status: 403,
        headers: { 'www-authenticate': 'Bearer error="insufficient_scope", scope="read:customers"' },
      });

    const err = await rejectionOf(callApi(API, { path: '/customers' }, runtime));

    expect(err.code).toBe('INSUFFICIENT_SCOPE');
    expect(err.details).toMatchObject({ status: 403, error: 'insufficient_scope', scope: 'read:customers' });
    expect(requests).toHaveLength(1);
    expect(tokenRequests()).toHaveLength(0);
  });

  it('429 with Retry-After seconds → RATE_LIMITED, retryAt = now + 30 s', async () => {
    clock = T0 + 1_234;
    api = () => jsonResponse({ error: 'rate_limited' }, 429, { 'retry-after': '30' });

    const err = await rejectionOf(callApi(API, { path: '/work-orders' }, runtime));

    expect(err.code).toBe('RATE_LIMITED');
    expect(err.details.retryAt).toBe(T0 + 1_234 + 30_000);
    expect(requests).toHaveLength(1);
  });

  it('429 with a Retry-After date → retryAt is that date', async () => {
    const at = T0 + 120_000;
    api = () => jsonResponse({}, 429, { 'retry-after': new Date(at).toUTCString() });
    const err = await rejectionOf(callApi(API, { path: '/work-orders' }, runtime));
    expect(err.code).toBe('RATE_LIMITED');
    expect(err.details.retryAt).toBe(at);
  });

  it('429 with only X-RateLimit-Reset → retryAt from it', async () => {
    api = () =>
      jsonResponse({}, 429, {
        'x-ratelimit-limit': '100',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(RESET_SECONDS),
      });
    const err = await rejectionOf(callApi(API, { path: '/work-orders' }, runtime));
    expect(err.code).toBe('RATE_LIMITED');
    expect(err.details.retryAt).toBe(RESET_SECONDS * 1000);
    expect(tokenRequests()).toHaveLength(0);
  });

  const failures: { name: string; reply: () => Response | Promise<Response>; code: FieldpassErrorCode }[] = [
    { name: '500 JSON error', reply: () => jsonResponse({ error: 'boom' }, 500), code: 'SERVER_ERROR' },
    { name: '404 JSON error', reply: () => jsonResponse({ error: 'not_found' }, 404), code: 'API_ERROR' },
    {
      name: '401 without a challenge',
      reply: () => jsonResponse({ error: 'unauthorized' }, 401),
      code: 'API_ERROR',
    },
    {
      name: '200 that is not JSON',
      reply: () => new Response('<html></html>', { status: 200, headers: { 'content-type': 'text/html' } }),
      code: 'API_ERROR',
    },
    { name: 'fetch TypeError', reply: () => Promise.reject(new TypeError('Failed to fetch')), code: 'NETWORK' },
  ];

  it.each(failures)('$name → $code, one request, session kept', async ({ reply, code }) => {
    api = reply;
    const err = await rejectionOf(callApi(API, { path: '/work-orders' }, runtime));
    expect(err.code).toBe(code);
    expect(requests).toHaveLength(1);
    expect(store.data.get(SESSION_KEY)).toEqual(session());
  });

  it('a request that gets no answer names its address, without the query, for whoever supports the user', async () => {
    api = () => Promise.reject(new TypeError('Failed to fetch'));
    const err = await rejectionOf(callApi(API, { path: '/work-orders?status=open' }, runtime));
    expect(err.code).toBe('NETWORK');
    expect(err.details.url).toBe(`${API}/work-orders`);
  });

  it('NOT_SIGNED_IN without a session, and no request', async () => {
    await store.del(SESSION_KEY);
    const err = await rejectionOf(callApi(API, { path: '/work-orders' }, runtime));
    expect(err.code).toBe('NOT_SIGNED_IN');
    expect(requests).toHaveLength(0);
  });
});

describe('callApi with a DPoP-bound session (RFC 9449 §7)', () => {
  let keyThumbprint: string;

  beforeEach(async () => {
    await store.set(SESSION_KEY, session({ dpop: true, token_type: 'dpop' }));
    keyThumbprint = await keyPairThumbprint(await dpopKeyPair(runtime));
    token = () => jsonResponse({ access_token: 'at-2', token_type: 'DPoP', expires_in: 3600, refresh_token: 'rt-2' });
  });

  it('#76 sends Authorization: DPoP with a proof for this method and URL, bound to the token by ath', async () => {
    const result = await callApi(API, { path: '/work-orders?status=open', method: 'POST', body: { a: 1 } }, runtime);

    expect(result.body).toEqual(WORK_ORDERS);
    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request.headers.authorization).toBe('DPoP at-1');
    const proof = await proofOf(request);
    expect(proof.header).toEqual({ typ: 'dpop+jwt', alg: 'ES256', jwk: expect.any(Object) });
    expect(proof.header.jwk).not.toHaveProperty('d');
    expect(await jwkThumbprint(proof.header.jwk!)).toBe(keyThumbprint);
    expect(proof.payload).toEqual({
      jti: expect.stringMatching(/^[A-Za-z0-9_-]{16,}$/),
      htm: 'POST',
      // #76: no query or fragment in htu.
      htu: `${API}/work-orders`,
      iat: expect.any(Number),
      ath: await s256('at-1'),
    });
  });

  it('#77 a 401 use_dpop_nonce challenge → one retry with the nonce the API sent, no refresh', async () => {
    api = (_request, index) => (index === 0 ? resourceNonceError('api-nonce-1') : jsonResponse(WORK_ORDERS));

    const result = await callApi(API, { path: '/work-orders' }, runtime);

    expect(result.body).toEqual(WORK_ORDERS);
    expect(apiRequests()).toHaveLength(2);
    expect(tokenRequests()).toHaveLength(0);
    const [first, second] = await Promise.all(apiRequests().map(proofOf));
    expect(first.payload).not.toHaveProperty('nonce');
    expect(second.payload).toMatchObject({ nonce: 'api-nonce-1', ath: await s256('at-1'), htm: 'GET' });
    expect(second.payload.jti).not.toBe(first.payload.jti);
    expect(apiRequests().map((r) => r.headers.authorization)).toEqual(['DPoP at-1', 'DPoP at-1']);
  });

  it('#77 two use_dpop_nonce challenges in a row → an error after exactly two requests, no refresh', async () => {
    api = (_request, index) => resourceNonceError(`api-nonce-${index + 1}`);

    const err = await rejectionOf(callApi(API, { path: '/work-orders' }, runtime));

    expect(err.details).toMatchObject({ status: 401, error: 'use_dpop_nonce' });
    expect(apiRequests()).toHaveLength(2);
    expect(tokenRequests()).toHaveLength(0);
    expect(store.data.get(SESSION_KEY)).toMatchObject({ access_token: 'at-1', refresh_token: 'rt-1' });
  });

  it('#52 #79 401 invalid_token → one refresh with a proof from the same key, one retry with the new token', async () => {
    api = (_request, index) =>
      index === 0
        ? new Response(null, { status: 401, headers: { 'www-authenticate': 'DPoP error="invalid_token"' } })
        : jsonResponse(WORK_ORDERS);

    await callApi(API, { path: '/work-orders' }, runtime);

    expect(requests.map((r) => r.url)).toEqual([`${API}/work-orders`, server.token_endpoint, `${API}/work-orders`]);
    const proofs = await Promise.all(requests.map(proofOf));
    for (const proof of proofs) expect(await jwkThumbprint(proof.header.jwk!)).toBe(keyThumbprint);
    expect(requests[2].headers.authorization).toBe('DPoP at-2');
    expect(proofs[2].payload.ath).toBe(await s256('at-2'));
  });

  it('#79 the key gone → an error with no request: the token is never sent as a Bearer token', async () => {
    store.data.delete(DPOP_KEY);

    const err = await rejectionOf(callApi(API, { path: '/work-orders' }, runtime));

    expect(err.code).toBe('SESSION_ENDED');
    expect(requests).toHaveLength(0);
  });
});
