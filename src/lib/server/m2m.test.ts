import { beforeEach, describe, expect, it } from 'vitest';
import { fakeFetch, formOf, jsonResponse, type RecordedRequest } from '../oauth/fake-fetch.test-util.js';
import type { FetchLike } from '../base/http.js';
import { createM2mClient, resolveOperation, type M2mClient } from './m2m.js';
import { M2mError, type M2mErrorCode } from './m2m-errors.js';
import { tokenMargin } from './m2m-tokens.js';
import { parseM2mProviders, type M2mEnv } from './m2m-config.js';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);

const FENERGO_TOKEN_URL = 'https://identity.fenergo.example/connect/token';
const FENERGO_API = 'https://api.fenergo.example/entitydataquery/api';
const FENRIS_TOKEN_URL = 'https://auth.fenris.example/oauth/token';
const FENRIS_API = 'https://api.fenris.example';
const FENTU_API = 'https://api.fentu.example/v2';

/** Secrets that must never reach a caller; the post secret has characters a form must encode. */
const POST_SECRET = 'canary-7f3e&post=secret+1 %';
const BASIC_ID = 'a b';
const BASIC_SECRET = 'p:w+d%';
const API_KEY = 'canary-api-key-9c1d';
/** Text in upstream error bodies, which must never be passed on (#89). */
const UPSTREAM_CANARY = 'upstream-body-canary-55aa';

const ENV: M2mEnv = {
  M2M_PROVIDERS: 'fenergo fenris keyed',
  M2M_FENERGO_TOKEN_URL: FENERGO_TOKEN_URL,
  M2M_FENERGO_AUTH_METHOD: 'client_secret_post',
  M2M_FENERGO_CLIENT_ID: 'fenergo-client',
  M2M_FENERGO_CLIENT_SECRET: POST_SECRET,
  M2M_FENERGO_SCOPE: 'fenx.entitydata.read fenx.journey.read tenant/abc-123',
  M2M_FENERGO_SCOPE_RULES: 'fenergo',
  M2M_FENERGO_TENANT_ID: 'abc-123',
  M2M_FENERGO_API_BASE_URL: `${FENERGO_API}/`,
  M2M_FENERGO_ALLOW: 'GET /entities, POST /search',
  M2M_FENERGO_USER_SCOPE: 'read:customers',
  M2M_FENRIS_TOKEN_URL: FENRIS_TOKEN_URL,
  M2M_FENRIS_AUTH_METHOD: 'client_secret_basic',
  M2M_FENRIS_CLIENT_ID: BASIC_ID,
  M2M_FENRIS_CLIENT_SECRET: BASIC_SECRET,
  M2M_FENRIS_SCOPE: 'read:policies',
  M2M_FENRIS_API_BASE_URL: FENRIS_API,
  M2M_FENRIS_ALLOW: 'GET /policies',
  M2M_FENRIS_USER_SCOPE: 'read:assets',
  M2M_KEYED_MODE: 'api_key',
  M2M_KEYED_API_KEY: API_KEY,
  M2M_KEYED_API_KEY_HEADER: 'X-Fentu-Key',
  M2M_KEYED_API_BASE_URL: FENTU_API,
  M2M_KEYED_ALLOW: 'GET /work-orders',
  M2M_KEYED_USER_SCOPE: 'read:work-orders',
};

const TOKEN_URLS = new Set([FENERGO_TOKEN_URL, FENRIS_TOKEN_URL]);
const ENTITIES = { items: [{ id: 'LE-1' }] };

type Answer = (request: RecordedRequest, index: number) => Response | Promise<Response>;

let clock: number;
let requests: RecordedRequest[];
/** `redirect` and whether a timeout signal was passed, per request, in order. */
let options: { redirect: string | undefined; signal: boolean }[];
/** Every service token the fake token endpoint has issued. */
let issued: string[];
/** Answers token requests; `index` counts token requests only. */
let token: Answer;
/** Answers upstream API requests; `index` counts API requests only. */
let api: Answer;
let m2m: M2mClient;

const tokenRequests = () => requests.filter((r) => TOKEN_URLS.has(r.url));
const apiRequests = () => requests.filter((r) => !TOKEN_URLS.has(r.url));

/** A token response with a fresh service token `svc-token-<n>`; no `expires_in` when null. */
function issue(expiresIn: number | null = 900): Response {
  const value = `svc-token-${issued.length + 1}`;
  issued.push(value);
  return jsonResponse({
    access_token: value,
    token_type: 'Bearer',
    ...(expiresIn === null ? {} : { expires_in: expiresIn }),
  });
}

function textResponse(text: string, status: number, headers: Record<string, string> = {}): Response {
  return new Response(text, { status, headers: { 'content-type': 'text/plain', ...headers } });
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Lets every pending request reach the fake fetch. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

/** The M2mError a promise rejects with; fails the test if it resolves or rejects otherwise. */
async function m2mFailure(promise: Promise<unknown>): Promise<M2mError> {
  const err = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(M2mError);
  return err as M2mError;
}

/** #81 #82: what the route shows the caller carries no secret, key or service token. */
/** What the route sends for an M2mError (m2m-route.ts): code, description, Retry-After. None may hold a secret. */
function expectNoSecrets(err: M2mError): void {
  const shown = JSON.stringify({ error: err.code, error_description: err.message, retryAfter: err.retryAfter });
  for (const secret of [POST_SECRET, BASIC_SECRET, API_KEY, UPSTREAM_CANARY, ...issued]) {
    expect(shown).not.toContain(secret);
  }
}

function createClient(env: M2mEnv = ENV): M2mClient {
  let tokenIndex = 0;
  let apiIndex = 0;
  const fake = fakeFetch((request) =>
    TOKEN_URLS.has(request.url) ? token(request, tokenIndex++) : api(request, apiIndex++),
  );
  requests = fake.requests;
  options = [];
  const fetch: FetchLike = (url, init) => {
    options.push({ redirect: init.redirect, signal: init.signal instanceof AbortSignal });
    return fake.fetch(url, init);
  };
  return createM2mClient(parseM2mProviders(env), { fetch, now: () => clock });
}

const getEntities = () => m2m.call('fenergo', { method: 'GET', path: '/entities' });

beforeEach(() => {
  clock = T0;
  issued = [];
  token = () => issue();
  api = () => jsonResponse(ENTITIES);
  m2m = createClient();
});

describe('#85 resolveOperation and call: only allow-listed plain paths', () => {
  const refused: { method: string; path: string; code: M2mErrorCode }[] = [
    { method: 'GET', path: '/../admin', code: 'bad_request' },
    { method: 'GET', path: '/entities/../admin', code: 'bad_request' },
    { method: 'GET', path: '/entities/..', code: 'bad_request' },
    { method: 'GET', path: '/entities/./LE-1', code: 'bad_request' },
    { method: 'GET', path: '/%2e%2e/admin', code: 'bad_request' },
    { method: 'GET', path: '/entities/%2E%2E/admin', code: 'bad_request' },
    { method: 'GET', path: '/entities%2F..%2Fadmin', code: 'bad_request' },
    { method: 'GET', path: '/entities%2fLE-1', code: 'bad_request' },
    { method: 'GET', path: '//evil.example/x', code: 'bad_request' },
    { method: 'GET', path: '/entities//LE-1', code: 'bad_request' },
    { method: 'GET', path: '/\\evil', code: 'bad_request' },
    { method: 'GET', path: '/entities\\..\\admin', code: 'bad_request' },
    { method: 'GET', path: '/entities@evil.example', code: 'bad_request' },
    { method: 'GET', path: '/http:/evil.example', code: 'bad_request' },
    { method: 'GET', path: 'http://evil.example/entities', code: 'bad_request' },
    { method: 'GET', path: 'https://169.254.169.254/latest/meta-data/', code: 'bad_request' },
    { method: 'GET', path: 'entities', code: 'bad_request' },
    { method: 'GET', path: '', code: 'bad_request' },
    { method: 'GET', path: '/', code: 'bad_request' },
    { method: 'GET', path: '/entities?x=1', code: 'bad_request' },
    { method: 'GET', path: '/entities#x', code: 'bad_request' },
    { method: 'GET', path: '/entities/LE 1', code: 'bad_request' },
    { method: 'GET', path: '/entities/LE-1%00', code: 'bad_request' },
    { method: 'GET', path: '/entitiés', code: 'bad_request' },
    { method: 'GET', path: '/admin', code: 'not_allowed' },
    { method: 'GET', path: '/169.254.169.254/latest', code: 'not_allowed' },
    { method: 'POST', path: '/entities', code: 'not_allowed' },
    { method: 'GET', path: '/search', code: 'not_allowed' },
    { method: 'DELETE', path: '/entities/LE-1', code: 'not_allowed' },
    { method: 'get', path: '/entities', code: 'not_allowed' },
    { method: 'GET', path: '/entitiesX', code: 'not_allowed' },
    { method: 'GET', path: '/entities-admin', code: 'not_allowed' },
    { method: 'GET', path: '/Entities', code: 'not_allowed' },
  ];

  it.each(refused)('#85 $method $path → $code, and no request at all', async ({ method, path, code }) => {
    const err = await m2mFailure(m2m.call('fenergo', { method, path }));
    expect(err.code).toBe(code);
    expect(err.status).toBe(code === 'bad_request' ? 400 : 403);
    expect(requests).toHaveLength(0);
    expect(m2m.tokenRequests('fenergo')).toBe(0);
  });

  it.each(refused)('#85 resolveOperation refuses $method $path with $code', ({ method, path, code }) => {
    const provider = m2m.provider('fenergo')!;
    let thrown: unknown;
    try {
      resolveOperation(provider, method, path);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(M2mError);
    expect((thrown as M2mError).code).toBe(code);
  });

  it('an unknown provider → unknown_provider (404), and no request', async () => {
    const err = await m2mFailure(m2m.call('nope', { method: 'GET', path: '/entities' }));
    expect(err.code).toBe('unknown_provider');
    expect(err.status).toBe(404);
    expect(requests).toHaveLength(0);
  });

  it.each([
    ['/entities', `${FENERGO_API}/entities`],
    ['/entities/', `${FENERGO_API}/entities`],
    ['/entities/LE-1', `${FENERGO_API}/entities/LE-1`],
    ['/entities/LE-1/addresses', `${FENERGO_API}/entities/LE-1/addresses`],
  ])('#85 GET %s → %s with the service token and x-tenant-id', async (path, url) => {
    const result = await m2m.call('fenergo', { method: 'GET', path });

    expect(result).toEqual({ status: 200, body: ENTITIES });
    expect(apiRequests()).toHaveLength(1);
    const [request] = apiRequests();
    expect(request.url).toBe(url);
    expect(request.method).toBe('GET');
    expect(request.headers.authorization).toBe('Bearer svc-token-1');
    expect(request.headers['x-tenant-id']).toBe('abc-123');
    expect(request.headers.accept).toBe('application/json');
    expect(request.body).toBeUndefined();
  });

  it('POST on a POST prefix sends the JSON body', async () => {
    const body = JSON.stringify({ query: 'ACME' });
    await m2m.call('fenergo', { method: 'POST', path: '/search', body });

    const [request] = apiRequests();
    expect(request.url).toBe(`${FENERGO_API}/search`);
    expect(request.method).toBe('POST');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.body).toBe(body);
  });

  it('a plain query string is passed on', async () => {
    await m2m.call('fenergo', { method: 'GET', path: '/entities', search: '?page=2&size=10' });
    expect(apiRequests()[0].url).toBe(`${FENERGO_API}/entities?page=2&size=10`);
  });

  it.each([
    '?next=http://evil.example/',
    '?a=b@evil.example',
    '?a=<script>',
    '?a=b#frag',
    'page=2',
    '?next=http%3A%2F%2F169.254.169.254',
    '?u=a%40evil.example',
    '?p=%5Cevil',
  ])('#85 a query that is not plain (%j) is refused, and nothing is sent', async (search) => {
    const err = await m2mFailure(m2m.call('fenergo', { method: 'GET', path: '/entities', search }));
    expect(err.code).toBe('bad_request');
    expect(requests).toHaveLength(0);
  });

  it('#85 a plain query is passed on as it is', async () => {
    await m2m.call('fenergo', { method: 'GET', path: '/entities', search: '?page=2&name=Old%20Mill' });
    expect(apiRequests()[0].url).toBe(`${FENERGO_API}/entities?page=2&name=Old%20Mill`);
  });

  it('#85 every request goes to the configured hosts only, with redirect: manual and a timeout signal', async () => {
    await getEntities();
    await m2m.call('fenris', { method: 'GET', path: '/policies' });
    await m2m.call('keyed', { method: 'GET', path: '/work-orders' });

    expect(requests.map((r) => r.url)).toEqual([
      FENERGO_TOKEN_URL,
      `${FENERGO_API}/entities`,
      FENRIS_TOKEN_URL,
      `${FENRIS_API}/policies`,
      `${FENTU_API}/work-orders`,
    ]);
    expect(options).toEqual(requests.map(() => ({ redirect: 'manual', signal: true })));
  });

  it('a provider without a tenant sends no x-tenant-id', async () => {
    await m2m.call('fenris', { method: 'GET', path: '/policies' });
    expect(apiRequests()[0].headers).not.toHaveProperty('x-tenant-id');
  });

  it('returns only the upstream status and JSON body, not its headers', async () => {
    api = () => jsonResponse(ENTITIES, 200, { 'set-cookie': 'a=b', 'x-upstream': 'yes' });
    expect(await getEntities()).toEqual({ status: 200, body: ENTITIES });
  });

  it.each([400, 404, 409, 422])('#89 an upstream %i passes on its status but never its body', async (status) => {
    api = () => textResponse(UPSTREAM_CANARY, status);
    const err = await m2mFailure(getEntities());
    expect(err.code).toBe('upstream_rejected');
    expect(err.status).toBe(status);
    expectNoSecrets(err);
    expect(JSON.stringify({ message: err.message })).not.toContain(UPSTREAM_CANARY);
  });

  it('an empty upstream body → body null', async () => {
    api = () => new Response(null, { status: 204 });
    expect(await getEntities()).toEqual({ status: 204, body: null });
  });
});

describe('#90 client authentication at the token endpoint', () => {
  it('#90 client_secret_basic: id and secret form-urlencoded before base64; no secret in the body', async () => {
    await m2m.call('fenris', { method: 'GET', path: '/policies' });

    const [request] = tokenRequests();
    expect(request.url).toBe(FENRIS_TOKEN_URL);
    expect(request.method).toBe('POST');
    expect(request.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(request.headers.authorization).toBe(`Basic ${Buffer.from('a+b:p%3Aw%2Bd%25').toString('base64')}`);
    expect(formOf(request)).toEqual({ grant_type: ['client_credentials'], scope: ['read:policies'] });
    expect(request.body).not.toContain('p%3Aw');
    expect(request.url).not.toContain(BASIC_SECRET);
    expect(apiRequests()[0].headers.authorization).toBe('Bearer svc-token-1');
  });

  it('#90 client_secret_basic without a configured scope sends grant_type only', async () => {
    m2m = createClient({ ...ENV, M2M_FENRIS_SCOPE: undefined });
    await m2m.call('fenris', { method: 'GET', path: '/policies' });
    expect(formOf(tokenRequests()[0])).toEqual({ grant_type: ['client_credentials'] });
  });

  it('#90 client_secret_post: no Authorization header; exactly grant_type, client_id, client_secret, scope', async () => {
    await getEntities();

    const [request] = tokenRequests();
    expect(request.url).toBe(FENERGO_TOKEN_URL);
    expect(request.method).toBe('POST');
    expect(request.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(request.headers).not.toHaveProperty('authorization');
    expect(formOf(request)).toEqual({
      grant_type: ['client_credentials'],
      client_id: ['fenergo-client'],
      client_secret: [POST_SECRET],
      scope: ['fenx.entitydata.read fenx.journey.read tenant/abc-123'],
    });
    expect(request.url).not.toContain('canary');
  });

  it('#86 each provider has its own token', async () => {
    await getEntities();
    await m2m.call('fenris', { method: 'GET', path: '/policies' });
    await getEntities();
    await m2m.call('fenris', { method: 'GET', path: '/policies' });

    expect(tokenRequests().map((r) => r.url)).toEqual([FENERGO_TOKEN_URL, FENRIS_TOKEN_URL]);
    expect(apiRequests().map((r) => r.headers.authorization)).toEqual([
      'Bearer svc-token-1',
      'Bearer svc-token-2',
      'Bearer svc-token-1',
      'Bearer svc-token-2',
    ]);
    expect(m2m.tokenRequests('fenergo')).toBe(1);
    expect(m2m.tokenRequests('fenris')).toBe(1);
  });
});

describe('#86 #87 token cache', () => {
  it('#87 200 concurrent calls with a cold cache → exactly 1 token request, 200 calls with that token', async () => {
    const gate = deferred<Response>();
    token = () => gate.promise;

    const calls = Array.from({ length: 200 }, () => getEntities());
    await settle();
    expect(tokenRequests()).toHaveLength(1);
    expect(apiRequests()).toHaveLength(0);
    gate.resolve(issue());
    const results = await Promise.all(calls);

    expect(results).toEqual(Array.from({ length: 200 }, () => ({ status: 200, body: ENTITIES })));
    expect(tokenRequests()).toHaveLength(1);
    expect(m2m.tokenRequests('fenergo')).toBe(1);
    expect(apiRequests()).toHaveLength(200);
    expect(apiRequests().every((r) => r.headers.authorization === 'Bearer svc-token-1')).toBe(true);
  });

  it.each([
    [60, 6_000],
    [300, 30_000],
    [600, 60_000],
    [900, 60_000],
    [3600, 60_000],
    [86_400, 60_000],
  ])('#86 tokenMargin(%i s) = %i ms: min(60 s, a tenth of the lifetime)', (lifetime, margin) => {
    expect(tokenMargin(lifetime)).toBe(margin);
  });

  it('#86 expires_in=300: calls at t = 0, 10, 200, 241 s share 1 token; the margin is 30 s, so a 2nd at 270 s', async () => {
    token = () => issue(300);

    for (const t of [0, 10_000, 200_000, 241_000, 269_999]) {
      clock = T0 + t;
      await getEntities();
      expect(tokenRequests(), `at t=${t} ms`).toHaveLength(1);
    }
    expect(await m2m.cacheState('fenergo')).toEqual({ cached: true, expiresAt: T0 + 270_000 });

    clock = T0 + 270_000;
    expect(await m2m.cacheState('fenergo')).toEqual({ cached: false });
    await getEntities();
    expect(tokenRequests()).toHaveLength(2);
    expect(apiRequests().at(-1)!.headers.authorization).toBe('Bearer svc-token-2');
    expect(await m2m.cacheState('fenergo')).toEqual({ cached: true, expiresAt: T0 + 270_000 + 270_000 });
  });

  it.each([
    { name: 'Fenergo', expiresIn: 900, until: 840_000 },
    { name: 'Transaction Monitoring', expiresIn: 3600, until: 3_540_000 },
    { name: 'Fenris', expiresIn: 86_400, until: 86_340_000 },
    { name: 'no expires_in (treated as 60 s)', expiresIn: null, until: 54_000 },
  ])(
    '#86 $name token (expires_in $expiresIn): reused until $until ms, replaced from then on',
    async ({ expiresIn, until }) => {
      token = () => issue(expiresIn);

      await getEntities();
      clock = T0 + until - 1;
      await getEntities();
      expect(tokenRequests()).toHaveLength(1);

      clock = T0 + until;
      await getEntities();
      expect(tokenRequests()).toHaveLength(2);
      expect(apiRequests().map((r) => r.headers.authorization)).toEqual([
        'Bearer svc-token-1',
        'Bearer svc-token-1',
        'Bearer svc-token-2',
      ]);
    },
  );

  it('#87 the one in-flight token request answers 500 → every caller gets upstream_unavailable; nothing is cached; the next call after the back-off tries again', async () => {
    const gate = deferred<Response>();
    token = () => gate.promise;

    const calls = Array.from({ length: 50 }, () => m2mFailure(getEntities()));
    await settle();
    gate.resolve(textResponse(UPSTREAM_CANARY, 500));
    const errors = await Promise.all(calls);

    for (const err of errors) {
      expect(err.code).toBe('upstream_unavailable');
      expect(err.status).toBe(502);
      expectNoSecrets(err);
    }
    expect(tokenRequests()).toHaveLength(1);
    expect(apiRequests()).toHaveLength(0);
    expect(await m2m.cacheState('fenergo')).toEqual({ cached: false });

    // Within the back-off (at least 0.5 s after one failure) no token request is made.
    const held = await m2mFailure(getEntities());
    expect(held.status).toBe(503);
    expect(held.retryAfter).toBeGreaterThanOrEqual(1);
    expect(tokenRequests()).toHaveLength(1);

    token = () => issue();
    clock += 1_001;
    expect(await getEntities()).toEqual({ status: 200, body: ENTITIES });
    expect(tokenRequests()).toHaveLength(2);
    expect(apiRequests()[0].headers.authorization).toBe('Bearer svc-token-1');
  });
});

describe('#86 upstream 401: drop the token, fetch one new one, retry once', () => {
  const unauthorized: [string, () => Response][] = [
    ['401 with a Bearer challenge', () => jsonResponse({ error: 'invalid_token' }, 401, challenge())],
    ['401 without a challenge', () => textResponse(UPSTREAM_CANARY, 401)],
  ];

  function challenge(): Record<string, string> {
    return { 'www-authenticate': 'Bearer error="invalid_token"' };
  }

  it.each(unauthorized)('#86 %s, then 200 → one new token, one retry, the 200', async (_name, answer) => {
    api = (_request, index) => (index === 0 ? answer() : jsonResponse(ENTITIES));

    const result = await getEntities();

    expect(result).toEqual({ status: 200, body: ENTITIES });
    expect(requests.map((r) => r.url)).toEqual([
      FENERGO_TOKEN_URL,
      `${FENERGO_API}/entities`,
      FENERGO_TOKEN_URL,
      `${FENERGO_API}/entities`,
    ]);
    expect(apiRequests().map((r) => r.headers.authorization)).toEqual(['Bearer svc-token-1', 'Bearer svc-token-2']);
    expect((await m2m.cacheState('fenergo')).cached).toBe(true);
  });

  it.each(unauthorized)(
    '#86 %s twice → upstream_auth_failed (502) after 2 token and 2 API requests',
    async (_name, answer) => {
      api = () => answer();

      const err = await m2mFailure(getEntities());

      expect(err.code).toBe('upstream_auth_failed');
      expect(err.status).toBe(502);
      expect(tokenRequests()).toHaveLength(2);
      expect(apiRequests()).toHaveLength(2);
      expectNoSecrets(err);
    },
  );

  it('#86 #87 50 concurrent calls that each get one 401 → only one extra token request', async () => {
    api = (request) =>
      request.headers.authorization === 'Bearer svc-token-1'
        ? jsonResponse({ error: 'invalid_token' }, 401, challenge())
        : jsonResponse(ENTITIES);

    const results = await Promise.all(Array.from({ length: 50 }, () => getEntities()));

    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(tokenRequests()).toHaveLength(2);
    expect(apiRequests()).toHaveLength(100);
    expect(apiRequests().filter((r) => r.headers.authorization === 'Bearer svc-token-2')).toHaveLength(50);
  });

  it('#86 the refused token is dropped even when fetching its replacement fails', async () => {
    api = (request) =>
      request.headers.authorization === 'Bearer svc-token-1'
        ? jsonResponse({ error: 'invalid_token' }, 401, challenge())
        : jsonResponse(ENTITIES);
    token = (_request, index) => (index === 1 ? textResponse(UPSTREAM_CANARY, 500) : issue());

    const err = await m2mFailure(getEntities());
    expect(err.code).toBe('upstream_unavailable');
    expect(await m2m.cacheState('fenergo')).toEqual({ cached: false });

    clock += 1_001; // past the back-off after one failed token request
    expect(await getEntities()).toEqual({ status: 200, body: ENTITIES });
    expect(tokenRequests()).toHaveLength(3);
    expect(apiRequests().map((r) => r.headers.authorization)).toEqual(['Bearer svc-token-1', 'Bearer svc-token-2']);
  });

  it('api_key mode: a 401 is not retried and fetches no token', async () => {
    api = () => textResponse(UPSTREAM_CANARY, 401);

    const err = await m2mFailure(m2m.call('keyed', { method: 'GET', path: '/work-orders' }));

    expect(err.code).toBe('upstream_auth_failed');
    expect(requests).toHaveLength(1);
    expect(tokenRequests()).toHaveLength(0);
    expectNoSecrets(err);
  });
});

describe('#88 429 and Retry-After', () => {
  it('#88 an upstream 429 holds every caller back until Retry-After, then calls go through again', async () => {
    api = (_request, index) =>
      index === 0 ? jsonResponse({ error: 'rate_limited' }, 429, { 'retry-after': '30' }) : jsonResponse(ENTITIES);

    expect((await m2mFailure(getEntities())).retryAfter).toBe(30);
    clock = T0 + 29_000;
    const held = await m2mFailure(getEntities());
    expect(held.code).toBe('rate_limited');
    expect(held.status).toBe(429);
    expect(apiRequests()).toHaveLength(1);

    clock = T0 + 30_000;
    expect(await getEntities()).toEqual({ status: 200, body: ENTITIES });
    expect(apiRequests()).toHaveLength(2);
  });

  it('#88 a Retry-After beyond five minutes is capped, and 0 still waits a second', async () => {
    token = (_request, index) => (index === 0 ? jsonResponse({}, 429, { 'retry-after': '999999999' }) : issue());
    expect((await m2mFailure(getEntities())).retryAfter).toBe(300);
    clock = T0 + 300_000;
    expect(await getEntities()).toEqual({ status: 200, body: ENTITIES });

    api = () => jsonResponse({}, 429, { 'retry-after': '0' });
    expect((await m2mFailure(getEntities())).retryAfter).toBe(1);
  });

  it('#88 token endpoint 429 Retry-After: 2 → 503 rate_limited; no token request for 2 s; then one', async () => {
    token = (_request, index) =>
      index === 0 ? jsonResponse({ error: 'slow_down' }, 429, { 'retry-after': '2' }) : issue();

    const first = await m2mFailure(getEntities());
    expect(first.code).toBe('rate_limited');
    expect(first.status).toBe(503);
    expect(first.retryAfter).toBe(2);
    expectNoSecrets(first);

    for (const t of [0, 500, 1000, 1500, 1999]) {
      clock = T0 + t;
      const errors = await Promise.all(Array.from({ length: 5 }, () => m2mFailure(getEntities())));
      for (const err of errors) {
        expect(err.code).toBe('rate_limited');
        expect(err.status).toBe(503);
        expect(err.retryAfter).toBeGreaterThanOrEqual(1);
        expect(err.retryAfter).toBeLessThanOrEqual(2);
      }
    }
    expect(tokenRequests()).toHaveLength(1);
    expect(apiRequests()).toHaveLength(0);

    clock = T0 + 2000;
    expect(await getEntities()).toEqual({ status: 200, body: ENTITIES });
    expect(tokenRequests()).toHaveLength(2);
  });

  it('#88 concurrent callers sharing the token request that got 429 all get rate_limited', async () => {
    token = () => jsonResponse({ error: 'slow_down' }, 429, { 'retry-after': '2' });

    const errors = await Promise.all(Array.from({ length: 20 }, () => m2mFailure(getEntities())));

    expect(errors.map((e) => [e.code, e.retryAfter])).toEqual(errors.map(() => ['rate_limited', 2]));
    expect(tokenRequests()).toHaveLength(1);
  });

  it.each<{ name: string; status: number; headers: Record<string, string>; seconds: number }>([
    {
      name: '429 with an HTTP-date Retry-After',
      status: 429,
      headers: { 'retry-after': new Date(T0 + 5000).toUTCString() },
      seconds: 5,
    },
    { name: '503 with Retry-After: 7', status: 503, headers: { 'retry-after': '7' }, seconds: 7 },
    {
      name: '429 with X-RateLimit-Reset only',
      status: 429,
      headers: { 'x-ratelimit-reset': String(T0 / 1000 + 12) },
      seconds: 12,
    },
  ])(
    '#88 token endpoint $name → rate_limited, retryAfter $seconds, and no token request until then',
    async ({ status, headers, seconds }) => {
      token = (_request, index) => (index === 0 ? jsonResponse({ error: 'slow_down' }, status, headers) : issue());

      const err = await m2mFailure(getEntities());
      expect(err.code).toBe('rate_limited');
      expect(err.status).toBe(503);
      expect(err.retryAfter).toBe(seconds);

      clock = T0 + seconds * 1000 - 1;
      expect((await m2mFailure(getEntities())).code).toBe('rate_limited');
      expect(tokenRequests()).toHaveLength(1);

      clock = T0 + seconds * 1000;
      await getEntities();
      expect(tokenRequests()).toHaveLength(2);
    },
  );

  it('#88 token endpoint 429 without Retry-After → still tells the caller when to retry, and backs off', async () => {
    token = () => jsonResponse({ error: 'slow_down' }, 429);

    const err = await m2mFailure(getEntities());
    expect(err.code).toBe('rate_limited');
    expect(err.retryAfter).toBeGreaterThanOrEqual(1);

    clock = T0 + 500;
    await m2mFailure(getEntities());
    expect(tokenRequests()).toHaveLength(1);
  });

  it.each<{ name: string; headers: Record<string, string>; seconds: number }>([
    { name: 'Retry-After: 30', headers: { 'retry-after': '30' }, seconds: 30 },
    { name: 'an HTTP-date Retry-After', headers: { 'retry-after': new Date(T0 + 12_000).toUTCString() }, seconds: 12 },
    {
      name: 'X-RateLimit-Reset only (epoch seconds)',
      headers: { 'x-ratelimit-reset': String(T0 / 1000 + 45) },
      seconds: 45,
    },
  ])('#88 upstream 429 with $name → status 429, retryAfter $seconds, no retry', async ({ headers, seconds }) => {
    api = () => jsonResponse({ message: UPSTREAM_CANARY }, 429, headers);

    const err = await m2mFailure(getEntities());

    expect(err.code).toBe('rate_limited');
    expect(err.status).toBe(429);
    expect(err.retryAfter).toBe(seconds);
    expect(apiRequests()).toHaveLength(1);
    expect(tokenRequests()).toHaveLength(1);
    expectNoSecrets(err);
  });

  it('#88 upstream 429 without any header → still tells the caller when to retry', async () => {
    api = () => jsonResponse({}, 429);
    const err = await m2mFailure(getEntities());
    expect(err.status).toBe(429);
    expect(err.retryAfter).toBeGreaterThanOrEqual(1);
  });

  it('#88 upstream 503 with Retry-After: 7 → 503 with retryAfter 7 (RFC 9110 §10.2.3)', async () => {
    api = () => textResponse(UPSTREAM_CANARY, 503, { 'retry-after': '7' });

    const err = await m2mFailure(getEntities());

    expect(err.status).toBe(503);
    expect(err.retryAfter).toBe(7);
    expect(apiRequests()).toHaveLength(1);
    expectNoSecrets(err);
  });
});

type Fault = [name: string, answer: () => Response | Promise<Response>, code: M2mErrorCode, status: number];

/** A table row as an object, so the test title can name its fields. */
const fault = ([name, answer, code, status]: Fault) => ({ name, answer, code, status });

describe('#89 faults are mapped to codes, and nothing secret is shown', () => {
  // Failures before any answer arrives: the same for the token endpoint and the upstream.
  const TRANSPORT_FAULTS: Fault[] = [
    [
      'a thrown TypeError (unreachable)',
      () => {
        throw new TypeError('fetch failed');
      },
      'upstream_unavailable',
      502,
    ],
    [
      'a thrown TimeoutError',
      () => {
        throw new DOMException('The operation timed out.', 'TimeoutError');
      },
      'upstream_timeout',
      504,
    ],
  ];

  const tokenFaults: Fault[] = [
    [
      '400 invalid_client',
      () => jsonResponse({ error: 'invalid_client', error_description: UPSTREAM_CANARY }, 400),
      'upstream_auth_failed',
      502,
    ],
    ['400 invalid_scope', () => jsonResponse({ error: 'invalid_scope' }, 400), 'upstream_auth_failed', 502],
    [
      '401 invalid_client with a Basic challenge',
      () => jsonResponse({ error: 'invalid_client' }, 401, { 'www-authenticate': 'Basic realm="token"' }),
      'upstream_auth_failed',
      502,
    ],
    ['401 with no body', () => new Response(null, { status: 401 }), 'upstream_auth_failed', 502],
    ['500', () => textResponse(UPSTREAM_CANARY, 500), 'upstream_unavailable', 502],
    [
      '502 JSON',
      () => jsonResponse({ error: 'server_error', error_description: UPSTREAM_CANARY }, 502),
      'upstream_unavailable',
      502,
    ],
    ['200 that is not JSON', () => textResponse(UPSTREAM_CANARY, 200), 'upstream_unavailable', 502],
    [
      '200 without access_token',
      () => jsonResponse({ token_type: 'Bearer', expires_in: 900 }),
      'upstream_unavailable',
      502,
    ],
    [
      '302 to another host',
      () => new Response(null, { status: 302, headers: { location: 'https://evil.example/token' } }),
      'upstream_unavailable',
      502,
    ],
    ...TRANSPORT_FAULTS,
    [
      'a thrown AbortError',
      () => {
        throw new DOMException('The operation was aborted.', 'AbortError');
      },
      'upstream_timeout',
      504,
    ],
  ];

  it.each(tokenFaults.map(fault))(
    '#89 token endpoint $name → $code ($status); no API call; nothing cached; after the back-off the next call asks again',
    async ({ answer, code, status }) => {
      token = (_request, index) => (index === 0 ? answer() : issue());

      const err = await m2mFailure(getEntities());

      expect(err.code).toBe(code);
      expect(err.status).toBe(status);
      expect(err.retryAfter).toBeUndefined();
      expectNoSecrets(err);
      expect(apiRequests()).toHaveLength(0);
      expect(requests.every((r) => !r.url.includes('evil.example'))).toBe(true);
      expect(await m2m.cacheState('fenergo')).toEqual({ cached: false });

      clock += 1_001; // past the back-off after one failed token request
      expect(await getEntities()).toEqual({ status: 200, body: ENTITIES });
      expect(tokenRequests()).toHaveLength(2);
    },
  );

  it('#87 failed token requests back off exponentially: 1 s, 2 s, 4 s … (with jitter), then recover', async () => {
    token = () => textResponse('down', 500);
    for (let i = 0; i < 5; i += 1) {
      await m2mFailure(getEntities());
      const attempts = tokenRequests().length;
      // Ask 100 times during the shortest possible wait for this step: no new token request.
      const minimumWait = 1000 * 2 ** i * 0.5;
      for (let t = 0; t < 100; t += 1) {
        clock += minimumWait / 101;
        await m2mFailure(getEntities());
      }
      expect(tokenRequests()).toHaveLength(attempts);
      clock += 1000 * 2 ** i; // past the longest possible wait
    }
    expect(tokenRequests()).toHaveLength(5);
    token = () => issue();
    expect(await getEntities()).toEqual({ status: 200, body: ENTITIES });
  });

  it('#81 #90 a refused basic credential → upstream_auth_failed without the secret', async () => {
    token = () => jsonResponse({ error: 'invalid_client' }, 401, { 'www-authenticate': 'Basic realm="token"' });
    const err = await m2mFailure(m2m.call('fenris', { method: 'GET', path: '/policies' }));
    expect(err.code).toBe('upstream_auth_failed');
    expectNoSecrets(err);
  });

  const apiFaults: Fault[] = [
    ['403', () => textResponse(UPSTREAM_CANARY, 403), 'upstream_forbidden', 403],
    [
      '403 insufficient_scope challenge',
      () =>
        jsonResponse({ error: 'insufficient_scope' }, 403, {
          'www-authenticate': 'Bearer error="insufficient_scope", scope="fenx.all"',
        }),
      'upstream_forbidden',
      403,
    ],
    ['500', () => textResponse(UPSTREAM_CANARY, 500), 'upstream_unavailable', 502],
    ['502', () => jsonResponse({ message: UPSTREAM_CANARY }, 502), 'upstream_unavailable', 502],
    ['504', () => textResponse(UPSTREAM_CANARY, 504), 'upstream_unavailable', 502],
    ['200 that is not JSON', () => textResponse(`<html>${UPSTREAM_CANARY}</html>`, 200), 'upstream_unavailable', 502],
    [
      '200 over 1 MiB',
      () => jsonResponse({ padding: 'x'.repeat(1_048_576), note: UPSTREAM_CANARY }),
      'upstream_unavailable',
      502,
    ],
    ...TRANSPORT_FAULTS,
  ];

  it.each(apiFaults.map(fault))(
    '#89 upstream $name → $code ($status), without a retry',
    async ({ answer, code, status }) => {
      api = () => answer();

      const err = await m2mFailure(getEntities());

      expect(err.code).toBe(code);
      expect(err.status).toBe(status);
      expectNoSecrets(err);
      expect(apiRequests()).toHaveLength(1);
      expect(tokenRequests()).toHaveLength(1);
    },
  );

  it.each([
    [301, 'https://evil.example/x'],
    [302, 'https://evil.example/steal'],
    [303, 'http://127.0.0.1:2375/'],
    [307, 'http://169.254.169.254/latest/meta-data/'],
    [308, `${FENERGO_API}/entities/LE-2`],
  ])(
    '#85 #89 upstream %i to %s → upstream_unavailable (502); the redirect is not followed',
    async (status, location) => {
      api = () => new Response(null, { status, headers: { location } });

      const err = await m2mFailure(getEntities());

      expect(err.code).toBe('upstream_unavailable');
      expect(err.status).toBe(502);
      expectNoSecrets(err);
      expect(requests.map((r) => r.url)).toEqual([FENERGO_TOKEN_URL, `${FENERGO_API}/entities`]);
      expect(requests.some((r) => r.url === location)).toBe(false);
    },
  );

  it('#85 api_key mode: a redirect is not followed either', async () => {
    api = () => new Response(null, { status: 302, headers: { location: 'https://evil.example/steal' } });

    const err = await m2mFailure(m2m.call('keyed', { method: 'GET', path: '/work-orders' }));

    expect(err.code).toBe('upstream_unavailable');
    expect(requests.map((r) => r.url)).toEqual([`${FENTU_API}/work-orders`]);
    expect(options[0].redirect).toBe('manual');
  });
});

describe('api_key mode', () => {
  it('sends the key in the configured header, no Authorization header, and never asks for a token', async () => {
    api = () => jsonResponse({ items: [] });

    for (let i = 0; i < 3; i += 1) {
      expect(await m2m.call('keyed', { method: 'GET', path: '/work-orders' })).toEqual({
        status: 200,
        body: { items: [] },
      });
    }

    expect(requests).toHaveLength(3);
    for (const request of requests) {
      expect(request.url).toBe(`${FENTU_API}/work-orders`);
      expect(request.headers['x-fentu-key']).toBe(API_KEY);
      expect(request.headers).not.toHaveProperty('authorization');
      expect(request.headers).not.toHaveProperty('x-tenant-id');
    }
    expect(tokenRequests()).toHaveLength(0);
    expect(m2m.tokenRequests('keyed')).toBe(0);
    expect(await m2m.cacheState('keyed')).toEqual({ cached: false });
  });

  it('uses x-api-key when no header is configured', async () => {
    m2m = createClient({ ...ENV, M2M_KEYED_API_KEY_HEADER: undefined });
    await m2m.call('keyed', { method: 'GET', path: '/work-orders' });
    expect(requests[0].headers['x-api-key']).toBe(API_KEY);
    expect(requests[0].headers).not.toHaveProperty('authorization');
  });

  it('#85 refuses a path off its allow-list without a request', async () => {
    const err = await m2mFailure(m2m.call('keyed', { method: 'GET', path: '/work-orders/../admin' }));
    expect(err.code).toBe('bad_request');
    expect(requests).toHaveLength(0);
  });
});

describe('provider rate limit (M2M_<NAME>_RATE_LIMIT)', () => {
  it('3/10s: three calls go through, the fourth gets 429 with Retry-After and no request; the next window is open', async () => {
    m2m = createClient({ ...ENV, M2M_FENERGO_RATE_LIMIT: '3/10s' });

    for (let i = 0; i < 3; i += 1) expect(await getEntities()).toEqual({ status: 200, body: ENTITIES });
    clock = T0 + 4_000;
    const err = await m2mFailure(getEntities());
    expect(err.code).toBe('rate_limited');
    expect(err.status).toBe(429);
    expect(err.retryAfter).toBe(6);
    expect(apiRequests()).toHaveLength(3);
    expectNoSecrets(err);

    clock = T0 + 10_000;
    expect(await getEntities()).toEqual({ status: 200, body: ENTITIES });
    expect(apiRequests()).toHaveLength(4);
  });

  it('counts per provider, and a refused path does not count', async () => {
    m2m = createClient({ ...ENV, M2M_FENERGO_RATE_LIMIT: '1/10s', M2M_FENRIS_RATE_LIMIT: '1/10s' });

    await m2mFailure(m2m.call('fenergo', { method: 'GET', path: '/admin' }));
    await getEntities();
    await m2m.call('fenris', { method: 'GET', path: '/policies' });
    expect((await m2mFailure(getEntities())).status).toBe(429);
    expect(apiRequests()).toHaveLength(2);
  });
});
