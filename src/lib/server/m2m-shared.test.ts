import { randomBytes } from 'node:crypto';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeFetch, jsonResponse, type RecordedRequest } from '../oauth/fake-fetch.test-util.js';
import { createM2mClient, type M2mClient } from './m2m.js';
import { M2mError } from './m2m-errors.js';
import { parseM2mProviders, type M2mEnv } from './m2m-config.js';
import { tokenKey } from './m2m-tokens.js';
import { createRedisState } from './shared/redis-state.js';
import type { SharedState } from './shared/state.js';
import { useRedisServer } from './shared/redis-server.test-util.js';

// Two app instances on one real Redis, calling one partner (a fake fetch, as in m2m.test.ts).

const TOKEN_URL = 'https://identity.fenergo.example/connect/token';
const API = 'https://api.fenergo.example/entitydataquery/api';
const ENTITIES = { items: [{ id: 'LE-1' }] };
const KEY = randomBytes(32);

const ENV: M2mEnv = {
  M2M_PROVIDERS: 'fenergo',
  M2M_FENERGO_TOKEN_URL: TOKEN_URL,
  M2M_FENERGO_AUTH_METHOD: 'client_secret_post',
  M2M_FENERGO_CLIENT_ID: 'fenergo-client',
  M2M_FENERGO_CLIENT_SECRET: 'canary-secret',
  M2M_FENERGO_API_BASE_URL: API,
  M2M_FENERGO_ALLOW: 'GET /entities',
  M2M_FENERGO_USER_SCOPE: 'read:customers',
};

type Answer = (request: RecordedRequest, index: number) => Response | Promise<Response>;

let prefix: string;
let testIndex = 0;
let requests: RecordedRequest[];
let issued: string[];
let token: Answer;
let api: Answer;
let states: SharedState[] = [];

const tokenRequests = () => requests.filter((r) => r.url === TOKEN_URL);
const apiRequests = () => requests.filter((r) => r.url !== TOKEN_URL);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function issue(): Response {
  const value = `svc-token-${issued.length + 1}`;
  issued.push(value);
  return jsonResponse({ access_token: value, token_type: 'Bearer', expires_in: 900 });
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** One partner, seen by every instance: token requests and API requests are counted across them. */
function partner() {
  let tokenIndex = 0;
  let apiIndex = 0;
  const fake = fakeFetch((request) =>
    request.url === TOKEN_URL ? token(request, tokenIndex++) : api(request, apiIndex++),
  );
  requests = fake.requests;
  return fake.fetch;
}
let fetch: ReturnType<typeof partner>;

/** One app instance: its own m2m client and its own connection to the shared Redis. */
function instance(options: { env?: M2mEnv; sealingKey?: Uint8Array; lockMs?: number } = {}) {
  const state = createRedisState({
    url: redis.server.url,
    sealingKey: options.sealingKey ?? KEY,
    keyPrefix: prefix,
    warn: () => {},
  });
  states.push(state);
  const m2m = createM2mClient(parseM2mProviders(options.env ?? ENV), {
    fetch,
    state,
    tokenLockMs: options.lockMs ?? 5_000,
    tokenPollMs: 10,
  });
  return { m2m, state };
}

async function ready(...list: { state: SharedState }[]): Promise<void> {
  for (let i = 0; i < 200 && !list.every((x) => x.state.health().shared); i += 1) await sleep(10);
  expect(list.map((x) => x.state.health().shared)).toEqual(list.map(() => true));
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 300 && !condition(); i += 1) await sleep(10);
  expect(condition()).toBe(true);
}

const getEntities = (m2m: M2mClient) => m2m.call('fenergo', { method: 'GET', path: '/entities' });
const requestsOf = (...list: { m2m: M2mClient }[]) => list.reduce((n, x) => n + x.m2m.tokenRequests('fenergo'), 0);

const redis = useRedisServer();

beforeEach(() => {
  prefix = `m2m${(testIndex += 1)}:`;
  issued = [];
  token = () => issue();
  api = () => jsonResponse(ENTITIES);
  fetch = partner();
});

afterEach(async () => {
  await Promise.all(states.map((s) => s.close()));
  states = [];
});

describe('two instances on one Redis', () => {
  it('200 concurrent calls on two instances with a cold cache → exactly 1 token request, sealed in Redis', async () => {
    const [a, b] = [instance(), instance()];
    await ready(a, b);
    const gate = deferred<Response>();
    token = () => gate.promise;

    const calls = Array.from({ length: 200 }, (_, i) => getEntities((i % 2 ? a : b).m2m));
    await until(() => tokenRequests().length === 1);
    await sleep(100); // the followers poll meanwhile
    expect(tokenRequests()).toHaveLength(1);
    gate.resolve(issue());
    const results = await Promise.all(calls);

    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(tokenRequests()).toHaveLength(1);
    expect(requestsOf(a, b)).toBe(1);
    expect(apiRequests().every((r) => r.headers.authorization === 'Bearer svc-token-1')).toBe(true);
    const keys = await redis.raw.keys(`${prefix}token:*`);
    expect(keys).toEqual([expect.stringMatching(/^m2m\d+:token:\{fenergo:[\w-]{16}\}$/)]);
    const stored = await redis.raw.get(keys[0]);
    expect(stored).toBeTruthy();
    expect(stored).not.toContain('svc-token-1');
  });

  it('a leader that never answers loses the lock when it expires; the next leader’s token is not overwritten', async () => {
    const [a, b] = [instance({ lockMs: 200 }), instance({ lockMs: 200 })];
    await ready(a, b);
    const stuck = deferred<Response>();
    token = (_request, index) => (index === 0 ? stuck.promise : issue());

    const first = getEntities(a.m2m);
    await until(() => tokenRequests().length === 1);
    const started = Date.now();
    expect(await getEntities(b.m2m)).toEqual({ status: 200, body: ENTITIES });
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(tokenRequests()).toHaveLength(2);
    expect(apiRequests()[0].headers.authorization).toBe('Bearer svc-token-1');

    // The stale leader gets its answer at last: it serves its own caller, but the cache keeps the newer token.
    stuck.resolve(jsonResponse({ access_token: 'svc-token-stale', token_type: 'Bearer', expires_in: 900 }));
    expect(await first).toEqual({ status: 200, body: ENTITIES });
    expect((await a.state.getToken(tokenKey(a.m2m.provider('fenergo')!)))?.value).toBe('svc-token-1');
    await getEntities(a.m2m);
    expect(apiRequests().at(-1)!.headers.authorization).toBe('Bearer svc-token-1');
    expect(tokenRequests()).toHaveLength(2);
  });

  it('an upstream 401 seen by 50 calls on two instances → one new token, every call retried with it', async () => {
    const [a, b] = [instance(), instance()];
    await ready(a, b);
    await getEntities(a.m2m);
    api = (request) =>
      request.headers.authorization === 'Bearer svc-token-1'
        ? jsonResponse({ error: 'invalid_token' }, 401, { 'www-authenticate': 'Bearer error="invalid_token"' })
        : jsonResponse(ENTITIES);

    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => getEntities((i % 2 ? a : b).m2m)));

    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(tokenRequests()).toHaveLength(2);
    expect(apiRequests().filter((r) => r.headers.authorization === 'Bearer svc-token-2')).toHaveLength(50);
  });

  it('instances with another client id or scope for the same provider do not share its token', async () => {
    const [a, b, c] = [
      instance(),
      instance({ env: { ...ENV, M2M_FENERGO_SCOPE: 'fenx.entitydata.read' } }),
      instance({ env: { ...ENV, M2M_FENERGO_CLIENT_ID: 'other-client' } }),
    ];
    await ready(a, b, c);
    for (const x of [a, b, c, a, b, c]) await getEntities(x.m2m);
    expect(tokenRequests()).toHaveLength(3);
  });

  it('an instance with another sealing key reads the shared token as a miss and gets its own', async () => {
    const [a, other] = [instance(), instance({ sealingKey: randomBytes(32) })];
    await ready(a, other);
    await getEntities(a.m2m);
    expect(await other.m2m.cacheState('fenergo')).toEqual({ cached: false });
    await getEntities(other.m2m);
    expect(tokenRequests()).toHaveLength(2);
  });

  it('an upstream Retry-After seen by one instance holds the other back too', async () => {
    const [a, b] = [instance(), instance()];
    await ready(a, b);
    api = () => jsonResponse({}, 429, { 'retry-after': '30' });
    await expect(getEntities(a.m2m)).rejects.toMatchObject({ code: 'rate_limited', status: 429 });

    const err = await getEntities(b.m2m).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(M2mError);
    expect((err as M2mError).retryAfter).toBeGreaterThanOrEqual(29);
    expect(apiRequests()).toHaveLength(1);
  });

  it('RATE_LIMIT 100/60s: of 150 concurrent calls on two instances exactly 100 reach the provider', async () => {
    const env = { ...ENV, M2M_FENERGO_RATE_LIMIT: '100/60s' };
    const [a, b] = [instance({ env }), instance({ env })];
    await ready(a, b);

    const outcomes = await Promise.allSettled(Array.from({ length: 150 }, (_, i) => getEntities((i % 2 ? a : b).m2m)));

    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(100);
    const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as M2mError] : []));
    expect(refused.map((e) => [e.code, e.status])).toEqual(refused.map(() => ['rate_limited', 429]));
    expect(apiRequests()).toHaveLength(100);
  });

  it('Redis stopped mid-run: calls keep working on each instance’s memory, and share again after a restart', async () => {
    const [a, b] = [instance(), instance()];
    await ready(a, b);
    await getEntities(a.m2m);

    await redis.server.stop();
    try {
      expect(await getEntities(a.m2m)).toEqual({ status: 200, body: ENTITIES });
      expect(await getEntities(b.m2m)).toEqual({ status: 200, body: ENTITIES });
      expect(await getEntities(b.m2m)).toEqual({ status: 200, body: ENTITIES });
      expect(tokenRequests()).toHaveLength(3); // one more per instance, none per call
    } finally {
      await redis.server.start();
    }
    await ready(a, b);

    await getEntities(a.m2m); // the restarted Redis is empty: one token request, shared from now on
    await getEntities(b.m2m);
    expect(tokenRequests()).toHaveLength(4);
    expect(apiRequests().at(-1)!.headers.authorization).toBe(apiRequests().at(-2)!.headers.authorization);
  });
});
