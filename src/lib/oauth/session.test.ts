import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMemoryStore } from '../base/memory-store.js';
import { DPOP_KEY, dpopKeyPair } from './dpop.js';
import { FieldpassError, type FieldpassErrorCode } from '../base/errors.js';
import { fakeFetch, formOf, jsonResponse, type RecordedRequest, type Responder } from './fake-fetch.test-util.js';
import { jwkThumbprint, keyPairThumbprint, proofOf, tokenNonceError } from './fake-fetch.test-util.js';
import { TEST_SERVER, rejectionOf } from './fake-fetch.test-util.js';
import type { CoreRuntime, SessionChange } from './runtime.js';
import {
  ensureFreshSession,
  grantedScopes,
  isDueForRefresh,
  refreshMargin,
  refreshRetryDelay,
  SESSION_KEY,
  sessionFromTokenResponse,
  sessionLockName,
  REVOCATIONS_KEY,
  retryRevocations,
  signOut,
  type Session,
} from './session.js';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);

const server = TEST_SERVER;

/** A stored session whose access token has 30 s left of 300: due for refresh at T0. */
function dueSession(overrides: Partial<Session> = {}): Session {
  return {
    server,
    client_id: 'fieldpass',
    access_token: 'at-old',
    token_type: 'bearer',
    refresh_token: 'rt-old',
    expires_at: T0 + 30_000,
    expires_in: 300,
    scope: 'read:work-orders',
    requested_scope: 'read:work-orders',
    user: { sub: 'u-1', name: 'Ada' },
    updated_at: T0 - 270_000,
    ...overrides,
  };
}

/** The same session with most of its life left. */
function freshSession(overrides: Partial<Session> = {}): Session {
  return dueSession({ expires_at: T0 + 200_000, ...overrides });
}

const ROTATED = { access_token: 'at-new', token_type: 'Bearer', expires_in: 600, refresh_token: 'rt-new' };

let store: ReturnType<typeof createMemoryStore>;
let clock: number;
let requests: RecordedRequest[];
let respond: Responder;
let runtime: CoreRuntime;
/** What the core told the other tabs, in order. */
let changes: SessionChange[];

function useStore(initial: Record<string, unknown>) {
  store = createMemoryStore(initial);
  runtime = { ...runtime, store };
}

beforeEach(() => {
  clock = T0;
  respond = () => jsonResponse(ROTATED);
  const fake = fakeFetch((request, index) => respond(request, index));
  requests = fake.requests;
  store = createMemoryStore();
  changes = [];
  runtime = { store, fetch: fake.fetch, now: () => clock, onChange: (change) => changes.push(change) };
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** The failure bookkeeping fields a refresh failure writes; a success leaves none of them. */
const BOOKKEEPING = [
  'refresh_failures',
  'refresh_in_doubt',
  'retry_not_before',
  'refresh_error',
  'server_retry_at',
] as const;

/** The jitter draw the core's back-off makes, pinned so the stored retry time can be checked exactly. */
const DRAW = 0.5;

/** The back-off the core waits after `failures` failures in a row, with the pinned draw. */
const backoff = (failures: number) => refreshRetryDelay(failures, () => DRAW);

function pinJitter() {
  vi.spyOn(Math, 'random').mockReturnValue(DRAW);
}

const storedSession = () => store.data.get(SESSION_KEY) as Session;

describe('sessionFromTokenResponse', () => {
  it('#52 works out expiry from expires_in and the time the response arrived', () => {
    const session = sessionFromTokenResponse(
      { access_token: 'a', token_type: 'bearer', expires_in: 120 },
      { server, clientId: 'c', requestedScope: 'read:assets', receivedAt: T0 },
    );
    expect(session.expires_at).toBe(T0 + 120_000);
    expect(session.expires_in).toBe(120);
    // RFC 6749 §3.3: no scope in the response means the requested scope was granted.
    expect(session.scope).toBe('read:assets');
    expect(session.refresh_token).toBeUndefined();
  });

  it.each([undefined, 0, -5])('treats expires_in %j as 300 s', (expiresIn) => {
    const session = sessionFromTokenResponse(
      { access_token: 'a', token_type: 'bearer', expires_in: expiresIn },
      { server, clientId: 'c', requestedScope: '', receivedAt: T0 },
    );
    expect(session.expires_at).toBe(T0 + 300_000);
  });
});

describe('refreshMargin and isDueForRefresh (#52)', () => {
  it.each([
    [120, 60_000],
    [4, 2_000],
    [3600, 60_000],
    [60, 30_000],
  ])('expires_in %i → margin %i ms', (expiresIn, margin) => {
    expect(refreshMargin({ expires_in: expiresIn })).toBe(margin);
  });

  it('expires_in 120 → due at 60 s after the response, not before', () => {
    const session = sessionFromTokenResponse(
      { access_token: 'a', token_type: 'bearer', expires_in: 120 },
      { server, clientId: 'c', requestedScope: '', receivedAt: T0 },
    );
    expect(isDueForRefresh(session, T0)).toBe(false);
    expect(isDueForRefresh(session, T0 + 59_999)).toBe(false);
    expect(isDueForRefresh(session, T0 + 60_000)).toBe(true);
    expect(isDueForRefresh(session, T0 + 500_000)).toBe(true);
  });
});

describe('ensureFreshSession', () => {
  beforeEach(pinJitter);

  it('#44 refreshes a due token once and writes the rotated set into the one session record', async () => {
    useStore({ [SESSION_KEY]: dueSession() });
    clock = T0 + 1_000;

    const next = await ensureFreshSession(runtime);

    expect(requests).toHaveLength(1);
    expect(requests[0].url).toBe(server.token_endpoint);
    expect(requests[0].method).toBe('POST');
    expect(requests[0].headers).not.toHaveProperty('authorization');
    // A Bearer session sends no DPoP proof.
    expect(requests[0].headers).not.toHaveProperty('dpop');
    expect(formOf(requests[0])).toEqual({
      grant_type: ['refresh_token'],
      refresh_token: ['rt-old'],
      client_id: ['fieldpass'],
    });
    expect([...store.data.keys()]).toEqual([SESSION_KEY]);
    const stored = store.data.get(SESSION_KEY) as Session;
    expect(stored).toMatchObject({
      access_token: 'at-new',
      refresh_token: 'rt-new',
      expires_at: T0 + 1_000 + 600_000,
      expires_in: 600,
      updated_at: T0 + 1_000,
      // Kept from the session: no new scope or ID token in a refresh response.
      scope: 'read:work-orders',
      user: { sub: 'u-1', name: 'Ada' },
    });
    expect(next).toEqual(stored);
    expect(JSON.stringify(stored)).not.toContain('rt-old');
    expect(JSON.stringify(stored)).not.toContain('at-old');
    expect(changes).toEqual([{ kind: 'stored' }]);
  });

  it('#44 the next refresh presents the rotated refresh token', async () => {
    useStore({ [SESSION_KEY]: dueSession() });
    await ensureFreshSession(runtime);
    clock = T0 + 600_000;
    respond = () => jsonResponse({ ...ROTATED, access_token: 'at-3', refresh_token: 'rt-3' });
    await ensureFreshSession(runtime);
    expect(requests.map((r) => r.form?.get('refresh_token'))).toEqual(['rt-old', 'rt-new']);
    expect((store.data.get(SESSION_KEY) as Session).refresh_token).toBe('rt-3');
  });

  it('#44 keeps the old refresh token when the response has none', async () => {
    useStore({ [SESSION_KEY]: dueSession() });
    respond = () => jsonResponse({ access_token: 'at-new', token_type: 'Bearer', expires_in: 600 });
    await ensureFreshSession(runtime);
    const stored = store.data.get(SESSION_KEY) as Session;
    expect(stored.access_token).toBe('at-new');
    expect(stored.refresh_token).toBe('rt-old');
  });

  it('#50 the refresh request never carries a scope', async () => {
    useStore({ [SESSION_KEY]: dueSession() });
    await ensureFreshSession(runtime);
    expect(requests[0].form?.has('scope')).toBe(false);
  });

  it('#45 ten parallel calls make exactly one refresh request (in-process lock)', async () => {
    useStore({ [SESSION_KEY]: dueSession() });
    respond = async () => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      return jsonResponse(ROTATED);
    };
    expect(runtime.lock).toBeUndefined();

    const sessions = await Promise.all(Array.from({ length: 10 }, () => ensureFreshSession(runtime)));

    expect(requests).toHaveLength(1);
    expect(sessions.map((s) => s.access_token)).toEqual(Array(10).fill('at-new'));
    expect((store.data.get(SESSION_KEY) as Session).refresh_token).toBe('rt-new');
  });

  it('#46 re-reads the session after taking the lock and uses a refresh another holder made', async () => {
    useStore({ [SESSION_KEY]: dueSession() });
    // Another tab finishes its refresh while this one waits for the lock.
    runtime.lock = async (_name, work) => {
      await store.set(SESSION_KEY, freshSession({ access_token: 'at-other-tab', refresh_token: 'rt-other-tab' }));
      return work();
    };
    const session = await ensureFreshSession(runtime);
    expect(requests).toHaveLength(0);
    expect(session.access_token).toBe('at-other-tab');
  });

  it('uses one lock name per issuer and client', async () => {
    useStore({ [SESSION_KEY]: dueSession() });
    const names: string[] = [];
    runtime.lock = (name, work) => {
      names.push(name);
      return work();
    };
    await ensureFreshSession(runtime);
    expect(names).toEqual(['fieldpass-refresh:https://as.example:fieldpass']);
    expect(sessionLockName(dueSession())).toBe('fieldpass-refresh:https://as.example:fieldpass');
    expect(sessionLockName({ server: { ...server, issuer: 'https://other.example' }, client_id: 'fieldpass' })).toBe(
      'fieldpass-refresh:https://other.example:fieldpass',
    );
    expect(sessionLockName({ server, client_id: 'other' })).toBe('fieldpass-refresh:https://as.example:other');
  });

  it('returns a session that is not due without any request', async () => {
    const session = freshSession();
    useStore({ [SESSION_KEY]: session });
    expect(await ensureFreshSession(runtime)).toEqual(session);
    expect(requests).toHaveLength(0);
  });

  it('#52 refreshes a token the API rejected even when it is not due', async () => {
    useStore({ [SESSION_KEY]: freshSession() });
    const next = await ensureFreshSession(runtime, 'at-old');
    expect(requests).toHaveLength(1);
    expect(next.access_token).toBe('at-new');
  });

  it('#45 does not refresh again for a rejected token that another caller already replaced', async () => {
    useStore({ [SESSION_KEY]: freshSession({ access_token: 'at-newer' }) });
    const next = await ensureFreshSession(runtime, 'at-old');
    expect(requests).toHaveLength(0);
    expect(next.access_token).toBe('at-newer');
  });

  it('NOT_SIGNED_IN without a stored session, and no request', async () => {
    const err = await rejectionOf(ensureFreshSession(runtime));
    expect(err.code).toBe('NOT_SIGNED_IN');
    expect(requests).toHaveLength(0);
  });

  it('a due session without a refresh token ends: SESSION_ENDED, record deleted, no request', async () => {
    useStore({ [SESSION_KEY]: dueSession({ refresh_token: undefined }) });
    const err = await rejectionOf(ensureFreshSession(runtime));
    expect(err.code).toBe('SESSION_ENDED');
    expect(requests).toHaveLength(0);
    expect(store.data.has(SESSION_KEY)).toBe(false);
    expect(changes).toEqual([{ kind: 'ended', code: 'SESSION_ENDED' }]);
  });

  it.each([
    ['#47 400 invalid_grant', 400, 'invalid_grant'],
    ['400 invalid_request', 400, 'invalid_request'],
    ['401 invalid_client', 401, 'invalid_client'],
    ['400 unauthorized_client', 400, 'unauthorized_client'],
    ['400 invalid_scope', 400, 'invalid_scope'],
    ['400 invalid_dpop_proof', 400, 'invalid_dpop_proof'],
  ] as const)(
    '%s → SESSION_ENDED, the session record deleted, the other tabs told once',
    async (_name, status, error) => {
      useStore({ [SESSION_KEY]: dueSession(), other: 'kept' });
      respond = () => jsonResponse({ error, error_description: 'refused for good' }, status);
      const err = await rejectionOf(ensureFreshSession(runtime));
      expect(err.code).toBe('SESSION_ENDED');
      expect(err.details).toMatchObject({ error, status });
      expect(requests).toHaveLength(1);
      expect(formOf(requests[0]).refresh_token).toEqual(['rt-old']);
      expect(store.data.has(SESSION_KEY)).toBe(false);
      expect(store.data.get('other')).toBe('kept');
      // #47: the other tabs are told once; the next call makes no request.
      expect(changes).toEqual([{ kind: 'ended', code: 'SESSION_ENDED' }]);
      expect((await rejectionOf(ensureFreshSession(runtime))).code).toBe('NOT_SIGNED_IN');
      expect(requests).toHaveLength(1);
      expect(changes).toHaveLength(1);
    },
  );

  const transient: {
    name: string;
    respond: Responder;
    code: FieldpassErrorCode;
    /** Whether the request may have been processed with its answer lost (the refresh token rotated unseen). */
    inDoubt: boolean;
    /** Requests made: an answer lost on the network is retried once at once with the same token. */
    requests?: number;
    /** The stored retry_not_before: the back-off after one failure, or the server's time when later. */
    retryNotBefore: number;
    /** The retry time the server gave, carried by the error. */
    serverRetryAt?: number;
  }[] = [
    {
      name: '#49 503 with an HTML body',
      respond: () =>
        new Response('<h1>Service Unavailable</h1>', { status: 503, headers: { 'content-type': 'text/html' } }),
      code: 'SERVER_ERROR',
      inDoubt: true,
      retryNotBefore: T0 + backoff(1),
    },
    {
      name: '#49 503 temporarily_unavailable with Retry-After 5 (longer than the back-off)',
      respond: () => jsonResponse({ error: 'temporarily_unavailable' }, 503, { 'retry-after': '5' }),
      code: 'SERVER_ERROR',
      inDoubt: true,
      retryNotBefore: T0 + 5_000,
      serverRetryAt: T0 + 5_000,
    },
    {
      name: '#49 503 with Retry-After 1 (shorter than the back-off)',
      respond: () => jsonResponse({ error: 'temporarily_unavailable' }, 503, { 'retry-after': '1' }),
      code: 'SERVER_ERROR',
      inDoubt: true,
      retryNotBefore: T0 + backoff(1),
      serverRetryAt: T0 + 1_000,
    },
    {
      name: '500 server_error',
      respond: () => jsonResponse({ error: 'server_error' }, 500),
      code: 'SERVER_ERROR',
      inDoubt: true,
      retryNotBefore: T0 + backoff(1),
    },
    {
      name: '#49 fetch TypeError',
      respond: () => {
        throw new TypeError('Failed to fetch');
      },
      code: 'NETWORK',
      inDoubt: true,
      requests: 2,
      retryNotBefore: T0 + backoff(1),
    },
    {
      name: '200 with a body that is not a token response',
      respond: () => jsonResponse({ token_type: 'Bearer' }),
      code: 'TOKEN_RESPONSE_INVALID',
      inDoubt: true,
      retryNotBefore: T0 + backoff(1),
    },
    {
      name: '200 with malformed JSON (nothing to salvage)',
      respond: () =>
        new Response('{"refresh_token":"rt-new"', { status: 200, headers: { 'content-type': 'application/json' } }),
      code: 'TOKEN_RESPONSE_INVALID',
      inDoubt: true,
      retryNotBefore: T0 + backoff(1),
    },
    {
      name: '#49 429 with Retry-After seconds',
      respond: () => jsonResponse({ error: 'slow_down' }, 429, { 'retry-after': '30' }),
      code: 'RATE_LIMITED',
      inDoubt: false,
      retryNotBefore: T0 + 30_000,
      serverRetryAt: T0 + 30_000,
    },
    {
      name: '#49 429 with a Retry-After date',
      respond: () => jsonResponse({}, 429, { 'retry-after': new Date(T0 + 120_000).toUTCString() }),
      code: 'RATE_LIMITED',
      inDoubt: false,
      retryNotBefore: T0 + 120_000,
      serverRetryAt: T0 + 120_000,
    },
    {
      name: '#49 429 with only X-RateLimit-Reset',
      respond: () => new Response(null, { status: 429, headers: { 'x-ratelimit-reset': String(T0 / 1000 + 90) } }),
      code: 'RATE_LIMITED',
      inDoubt: false,
      retryNotBefore: T0 + 90_000,
      serverRetryAt: T0 + 90_000,
    },
    {
      name: '#49 429 with Retry-After 0 (still waits the back-off)',
      respond: () => jsonResponse({ error: 'slow_down' }, 429, { 'retry-after': '0' }),
      code: 'RATE_LIMITED',
      inDoubt: false,
      retryNotBefore: T0 + backoff(1),
      serverRetryAt: T0,
    },
    {
      name: '#49 429 with no hint when to retry',
      respond: () => new Response('slow down', { status: 429 }),
      code: 'RATE_LIMITED',
      inDoubt: false,
      retryNotBefore: T0 + backoff(1),
    },
  ];

  it.each(transient)('$name → $code, the tokens kept and the failure counted', async (fault) => {
    const session = dueSession();
    useStore({ [SESSION_KEY]: session });
    respond = fault.respond;
    const err = await rejectionOf(ensureFreshSession(runtime));
    expect(err.code).toBe(fault.code);
    if (fault.serverRetryAt !== undefined) expect(err.details.retryAt).toBe(fault.serverRetryAt);
    expect(requests).toHaveLength(fault.requests ?? 1);
    expect(new Set(requests.map((r) => formOf(r).refresh_token?.[0]))).toEqual(new Set(['rt-old']));
    // #49: the tokens are untouched; only the failure bookkeeping was written.
    expect(storedSession()).toEqual({
      ...session,
      refresh_failures: 1,
      refresh_in_doubt: fault.inDoubt,
      retry_not_before: fault.retryNotBefore,
      refresh_error: fault.code,
      server_retry_at: fault.serverRetryAt,
    });
    // Nothing changed that the other tabs need to follow.
    expect(changes).toEqual([]);
  });

  it('#38 #49 a refresh that outlives the timeout → TIMEOUT, the tokens kept, the refresh in doubt', async () => {
    const session = dueSession();
    useStore({ [SESSION_KEY]: session });
    runtime.timeoutMs = 20;
    respond = () => new Promise<Response>(() => undefined);
    const err = await rejectionOf(ensureFreshSession(runtime));
    expect(err.code).toBe('TIMEOUT');
    // Retried once at once: the first answer may have been lost after the server rotated.
    expect(requests).toHaveLength(2);
    expect(storedSession()).toEqual({
      ...session,
      refresh_failures: 1,
      refresh_in_doubt: true,
      retry_not_before: T0 + backoff(1),
      refresh_error: 'TIMEOUT',
    });
  });

  it.each([
    [
      'a 429 after 2 failures in doubt keeps the doubt',
      { refresh_failures: 2, refresh_in_doubt: true, refresh_error: 'TIMEOUT' },
      429,
      'RATE_LIMITED',
      true,
    ],
    [
      'a 429 after 2 failures not in doubt adds none',
      { refresh_failures: 2, refresh_in_doubt: false, refresh_error: 'RATE_LIMITED' },
      429,
      'RATE_LIMITED',
      false,
    ],
    [
      'a 503 after 2 failures not in doubt puts it in doubt',
      { refresh_failures: 2, refresh_in_doubt: false, refresh_error: 'RATE_LIMITED' },
      503,
      'SERVER_ERROR',
      true,
    ],
    [
      'a 503 after an expired wait sets a new one',
      { refresh_failures: 2, refresh_in_doubt: true, retry_not_before: T0 - 1, refresh_error: 'NETWORK' },
      503,
      'SERVER_ERROR',
      true,
    ],
  ] as const)(
    '#49 %s, counts 3 failures and waits the third back-off',
    async (_name, before, status, code, inDoubt) => {
      useStore({ [SESSION_KEY]: dueSession(before) });
      respond = () => jsonResponse({ error: 'temporarily_unavailable' }, status);
      expect((await rejectionOf(ensureFreshSession(runtime))).code).toBe(code);
      expect(requests).toHaveLength(1);
      expect(storedSession()).toEqual({
        ...dueSession(),
        refresh_failures: 3,
        refresh_in_doubt: inDoubt,
        retry_not_before: T0 + backoff(3),
        refresh_error: code,
      });
    },
  );

  it('#49 back-off in the core: no request before retry_not_before, which grows with each failure to a cap', async () => {
    // An expired access token: every call during the wait fails instead of using it.
    useStore({ [SESSION_KEY]: dueSession({ expires_at: T0 - 1 }) });
    respond = () => {
      throw new TypeError('Failed to fetch');
    };
    const waits: number[] = [];
    for (let failures = 1; failures <= 7; failures += 1) {
      const failedAt = clock;
      expect((await rejectionOf(ensureFreshSession(runtime))).code).toBe('NETWORK');
      // The first failure is retried at once; once in doubt, each failure is one request.
      expect(requests).toHaveLength(failures + 1);
      const stored = storedSession();
      expect(stored.refresh_failures).toBe(failures);
      waits.push(stored.retry_not_before! - failedAt);

      // Just before the retry time: no request; the error names the last failure and the retry time.
      clock = stored.retry_not_before! - 1;
      const waiting = await rejectionOf(ensureFreshSession(runtime));
      expect(waiting.code).toBe('NETWORK');
      expect(waiting.details.retryAt).toBe(stored.retry_not_before);
      expect(requests).toHaveLength(failures + 1);
      expect(storedSession()).toEqual(stored);
      clock = stored.retry_not_before!;
    }
    // Equal jitter with the draw pinned at 0.5: three quarters of 2 s doubling, capped at 60 s.
    expect(waits).toEqual([1_500, 3_000, 6_000, 12_000, 24_000, 45_000, 45_000]);
    expect(changes).toEqual([]);
  });

  it('#49 the back-off is shared: another tab over the same store makes no request while it lasts', async () => {
    useStore({ [SESSION_KEY]: dueSession() });
    respond = () => jsonResponse({ error: 'temporarily_unavailable' }, 503);
    await rejectionOf(ensureFreshSession(runtime));
    const otherFetch = fakeFetch(() => jsonResponse(ROTATED));
    const otherTab: CoreRuntime = { store, fetch: otherFetch.fetch, now: () => clock };

    clock = T0 + backoff(1) - 1;
    // The access token (valid until T0 + 30 s) is used as it is.
    expect(await ensureFreshSession(otherTab)).toEqual(storedSession());
    // Once the API has refused it, the wait still stands.
    const err = await rejectionOf(ensureFreshSession(otherTab, 'at-old'));
    expect(err.code).toBe('SERVER_ERROR');
    expect(err.details.retryAt).toBe(T0 + backoff(1));
    expect(otherFetch.requests).toHaveLength(0);

    clock = T0 + backoff(1);
    expect((await ensureFreshSession(otherTab)).access_token).toBe('at-new');
    expect(otherFetch.requests.map((r) => r.form?.get('refresh_token'))).toEqual(['rt-old']);
    expect(requests).toHaveLength(1);
  });

  it('#49 503 then 200 → the second call refreshes with the same refresh token and clears the failure fields', async () => {
    useStore({ [SESSION_KEY]: dueSession() });
    respond = (_request, index) =>
      index === 0 ? jsonResponse({ error: 'temporarily_unavailable' }, 503) : jsonResponse(ROTATED);

    expect((await rejectionOf(ensureFreshSession(runtime))).code).toBe('SERVER_ERROR');
    expect(storedSession()).toMatchObject({
      refresh_token: 'rt-old',
      refresh_failures: 1,
      refresh_in_doubt: true,
      retry_not_before: T0 + backoff(1),
      refresh_error: 'SERVER_ERROR',
    });

    clock = T0 + backoff(1);
    const next = await ensureFreshSession(runtime);

    expect(requests.map((r) => r.form?.get('refresh_token'))).toEqual(['rt-old', 'rt-old']);
    expect(next).toMatchObject({ access_token: 'at-new', refresh_token: 'rt-new' });
    expect(storedSession()).toEqual(next);
    for (const field of BOOKKEEPING) expect(storedSession()).not.toHaveProperty(field);
    expect(changes).toEqual([{ kind: 'stored' }]);
  });

  it('#49 429 with Retry-After 30 → RATE_LIMITED, retry_not_before stored, no request before then', async () => {
    useStore({ [SESSION_KEY]: dueSession() });
    respond = (_request, index) =>
      index === 0 ? jsonResponse({ error: 'slow_down' }, 429, { 'retry-after': '30' }) : jsonResponse(ROTATED);

    const err = await rejectionOf(ensureFreshSession(runtime));
    expect(err.code).toBe('RATE_LIMITED');
    expect(err.details.retryAt).toBe(T0 + 30_000);
    expect(storedSession()).toMatchObject({
      retry_not_before: T0 + 30_000,
      refresh_error: 'RATE_LIMITED',
      access_token: 'at-old',
    });

    // Still before the retry time: the access token (valid until T0 + 30 s) is used as it is.
    clock = T0 + 10_000;
    expect((await ensureFreshSession(runtime)).access_token).toBe('at-old');
    // The API has refused it: the wait is still honoured.
    const waiting = await rejectionOf(ensureFreshSession(runtime, 'at-old'));
    expect(waiting.code).toBe('RATE_LIMITED');
    expect(waiting.details.retryAt).toBe(T0 + 30_000);
    // A pause the server set is honoured even when coming back online or to the tab.
    const woken = await rejectionOf(ensureFreshSession(runtime, 'at-old', { ignoreBackoff: true }));
    expect(woken.code).toBe('RATE_LIMITED');
    expect(woken.details.retryAt).toBe(T0 + 30_000);
    expect(requests).toHaveLength(1);

    clock = T0 + 30_000;
    expect((await ensureFreshSession(runtime)).access_token).toBe('at-new');
    expect(requests).toHaveLength(2);
    for (const field of BOOKKEEPING) expect(storedSession()).not.toHaveProperty(field);
  });

  it.each([
    ['the access token still valid', T0 + 10_000, undefined, 'session'],
    ['the API refused another, older token', T0 + 10_000, 'at-older', 'session'],
    ['the API refused this access token', T0 + 10_000, 'at-old', 'error'],
    ['the access token expired', T0 + 45_000, undefined, 'error'],
    ['the retry time reached', T0 + 60_000, undefined, 'refresh'],
  ] as const)('#49 waiting after a timeout until T0 + 60 s, with %s → %s', async (_name, now, rejected, outcome) => {
    const session = dueSession({
      refresh_failures: 1,
      refresh_in_doubt: true,
      retry_not_before: T0 + 60_000,
      refresh_error: 'TIMEOUT',
    });
    useStore({ [SESSION_KEY]: session });
    clock = now;
    const result = await ensureFreshSession(runtime, rejected).catch((err: unknown) => err);
    if (outcome === 'session') expect(result).toEqual(session);
    if (outcome === 'error') {
      expect(result).toBeInstanceOf(FieldpassError);
      expect(result).toMatchObject({ code: 'TIMEOUT', details: { retryAt: T0 + 60_000 } });
    }
    if (outcome === 'refresh') expect(result).toMatchObject({ access_token: 'at-new' });
    expect(requests).toHaveLength(outcome === 'refresh' ? 1 : 0);
    if (outcome !== 'refresh') expect(storedSession()).toEqual(session);
    expect(changes).toEqual(outcome === 'refresh' ? [{ kind: 'stored' }] : []);
  });

  it.each([
    ['NETWORK', 'NETWORK'],
    ['TIMEOUT', 'TIMEOUT'],
    ['SERVER_ERROR', 'SERVER_ERROR'],
    ['RATE_LIMITED', 'RATE_LIMITED'],
    ['TOKEN_RESPONSE_INVALID', 'TOKEN_RESPONSE_INVALID'],
    // A record written before refresh_error existed.
    [undefined, 'NETWORK'],
  ] as const)('#49 during the wait, refresh_error %s is thrown as %s, with no request', async (stored, code) => {
    const session = dueSession({
      expires_at: T0 - 1,
      refresh_failures: 2,
      retry_not_before: T0 + 5_000,
      refresh_error: stored,
    });
    useStore({ [SESSION_KEY]: session });
    const err = await rejectionOf(ensureFreshSession(runtime));
    expect(err.code).toBe(code);
    expect(err.details).toEqual({ retryAt: T0 + 5_000 });
    expect(requests).toHaveLength(0);
    expect(storedSession()).toEqual(session);
    expect(changes).toEqual([]);
  });

  it.each([
    ['NETWORK', true],
    ['TIMEOUT', true],
    ['SERVER_ERROR', true],
    ['TOKEN_RESPONSE_INVALID', true],
    [undefined, true],
    ['RATE_LIMITED', true],
  ] as const)(
    '#49 ignoreBackoff during our own back-off after %s → refreshes now: %s',
    async (refreshError, refreshes) => {
      const session = dueSession({
        expires_at: T0 - 1,
        refresh_failures: 2,
        refresh_in_doubt: false,
        retry_not_before: T0 + 60_000,
        refresh_error: refreshError,
      });
      useStore({ [SESSION_KEY]: session });

      const result = await ensureFreshSession(runtime, undefined, { ignoreBackoff: true }).catch((err: unknown) => err);

      if (refreshes) {
        expect(requests).toHaveLength(1);
        expect(formOf(requests[0]).refresh_token).toEqual(['rt-old']);
        expect(result).toMatchObject({ access_token: 'at-new', refresh_token: 'rt-new' });
        expect(storedSession()).toEqual(result);
        for (const field of BOOKKEEPING) expect(storedSession()).not.toHaveProperty(field);
      } else {
        expect(requests).toHaveLength(0);
        expect(result).toBeInstanceOf(FieldpassError);
        expect(result).toMatchObject({ code: 'RATE_LIMITED', details: { retryAt: T0 + 60_000 } });
        expect(storedSession()).toEqual(session);
      }
    },
  );

  it('#49 ignoreBackoff never skips a pause the server asked for (Retry-After)', async () => {
    const session = dueSession({
      refresh_failures: 1,
      retry_not_before: T0 + 60_000,
      server_retry_at: T0 + 60_000,
      refresh_error: 'SERVER_ERROR',
    });
    useStore({ [SESSION_KEY]: session });
    // A valid access token is still used, with no request...
    expect(await ensureFreshSession(runtime, undefined, { ignoreBackoff: true })).toEqual(session);
    expect(requests).toHaveLength(0);
    // ...and once it has expired, the caller is told when to come back, still with no request.
    useStore({ [SESSION_KEY]: { ...session, expires_at: T0 - 1 } });
    const err = await rejectionOf(ensureFreshSession(runtime, undefined, { ignoreBackoff: true }));
    expect(err).toMatchObject({ code: 'SERVER_ERROR', details: { retryAt: T0 + 60_000 } });
    expect(requests).toHaveLength(0);
  });

  it('#49 ignoreBackoff that fails again counts the failure and waits the next back-off', async () => {
    useStore({
      [SESSION_KEY]: dueSession({
        refresh_failures: 2,
        refresh_in_doubt: false,
        retry_not_before: T0 + 60_000,
        refresh_error: 'NETWORK',
      }),
    });
    respond = () => {
      throw new TypeError('Failed to fetch');
    };
    const err = await rejectionOf(ensureFreshSession(runtime, 'at-old', { ignoreBackoff: true }));
    expect(err.code).toBe('NETWORK');
    expect(requests).toHaveLength(2);
    expect(storedSession()).toEqual({
      ...dueSession(),
      refresh_failures: 3,
      refresh_in_doubt: true,
      retry_not_before: T0 + backoff(3),
      refresh_error: 'NETWORK',
    });
  });

  it('#47 #49 a timeout, and the retry made at once answered invalid_grant → SESSION_ENDED refresh_lost, told once', async () => {
    useStore({ [SESSION_KEY]: dueSession() });
    runtime.timeoutMs = 20;
    respond = (_request, index) =>
      index === 0 ? new Promise<Response>(() => undefined) : jsonResponse({ error: 'invalid_grant' }, 400);

    const err = await rejectionOf(ensureFreshSession(runtime));

    expect(err.code).toBe('SESSION_ENDED');
    expect(err.details).toMatchObject({ error: 'invalid_grant', reason: 'refresh_lost' });
    expect(requests.map((r) => r.form?.get('refresh_token'))).toEqual(['rt-old', 'rt-old']);
    expect(store.data.has(SESSION_KEY)).toBe(false);
    expect(changes).toEqual([{ kind: 'ended', code: 'SESSION_ENDED', reason: 'refresh_lost' }]);
    // #47: no loop; the next call finds no session and asks nothing.
    expect((await rejectionOf(ensureFreshSession(runtime))).code).toBe('NOT_SIGNED_IN');
    expect(requests).toHaveLength(2);
    expect(changes).toHaveLength(1);
  });

  it('an answer lost on the network, retried at once on a server that accepts the previous refresh token for a while: the session carries on', async () => {
    useStore({ [SESSION_KEY]: dueSession() });
    respond = (_request, index) => {
      if (index === 0) throw new TypeError('Failed to fetch');
      return jsonResponse({ access_token: 'at-new', token_type: 'Bearer', expires_in: 3600, refresh_token: 'rt-new' });
    };
    const session = await ensureFreshSession(runtime);
    expect(session).toMatchObject({ access_token: 'at-new', refresh_token: 'rt-new' });
    expect(session.refresh_failures).toBeUndefined();
    expect(session.refresh_in_doubt).toBeUndefined();
    expect(requests.map((r) => r.form?.get('refresh_token'))).toEqual(['rt-old', 'rt-old']);
    expect(changes).toEqual([{ kind: 'stored' }]);
  });

  it('offline, a failed refresh is not retried at once: the request never left the device', async () => {
    vi.stubGlobal('navigator', { onLine: false });
    try {
      useStore({ [SESSION_KEY]: dueSession() });
      respond = () => {
        throw new TypeError('Failed to fetch');
      };
      expect((await rejectionOf(ensureFreshSession(runtime))).code).toBe('NETWORK');
      expect(requests).toHaveLength(1);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it.each([
    ['no earlier failure', {}, undefined],
    ['only a 429 before (refused before any work)', { refresh_failures: 1, refresh_in_doubt: false }, undefined],
    ['an earlier failure in doubt', { refresh_failures: 1, refresh_in_doubt: true }, 'refresh_lost'],
  ] as const)('#47 invalid_grant after %s → reason %s', async (_name, before, reason) => {
    useStore({ [SESSION_KEY]: dueSession(before) });
    respond = () => jsonResponse({ error: 'invalid_grant' }, 400);
    const err = await rejectionOf(ensureFreshSession(runtime));
    expect(err.code).toBe('SESSION_ENDED');
    expect(err.details.reason).toBe(reason);
    expect(store.data.has(SESSION_KEY)).toBe(false);
    expect(changes).toHaveLength(1);
    expect(changes[0]).toEqual({ kind: 'ended', code: 'SESSION_ENDED', reason });
    expect((changes[0] as { reason?: string }).reason).toBe(reason);
  });
});

describe('ensureFreshSession: a refresh performed elsewhere (the service worker)', () => {
  it('hands the refresh over, makes no request here, and returns what was stored', async () => {
    useStore({ [SESSION_KEY]: dueSession() });
    const asked: unknown[] = [];
    runtime.refreshElsewhere = async (request) => {
      asked.push(request);
      await store.set(SESSION_KEY, dueSession({ access_token: 'at-worker', expires_at: T0 + 3_600_000 }));
      return true;
    };
    const session = await ensureFreshSession(runtime, 'at-old', { ignoreBackoff: true });
    expect(session.access_token).toBe('at-worker');
    expect(asked).toEqual([{ rejectedAccessToken: 'at-old', ignoreBackoff: true }]);
    expect(requests).toHaveLength(0);
  });

  it("throws the other side's failure as it is, and refreshes here when nothing else can", async () => {
    useStore({ [SESSION_KEY]: dueSession() });
    runtime.refreshElsewhere = () => Promise.reject(new FieldpassError('SESSION_ENDED', 'ended elsewhere'));
    expect((await rejectionOf(ensureFreshSession(runtime))).code).toBe('SESSION_ENDED');
    expect(requests).toHaveLength(0);

    runtime.refreshElsewhere = async () => false;
    respond = () => jsonResponse({ access_token: 'at-here', token_type: 'Bearer', expires_in: 3600 });
    expect((await ensureFreshSession(runtime)).access_token).toBe('at-here');
    expect(requests).toHaveLength(1);
  });

  it('asks nothing when the token is not due', async () => {
    useStore({ [SESSION_KEY]: dueSession({ expires_at: T0 + 3_600_000 }) });
    runtime.refreshElsewhere = () => Promise.reject(new Error('should not be asked'));
    expect((await ensureFreshSession(runtime)).access_token).toBe('at-old');
  });
});

describe('ensureFreshSession: a 200 answer that fails validation keeps the rotated refresh token it carries', () => {
  beforeEach(pinJitter);

  const LONGEST = 'r'.repeat(4096);
  const cases: { name: string; respond: Responder; salvaged?: string }[] = [
    {
      name: 'no access_token',
      respond: () => jsonResponse({ token_type: 'Bearer', refresh_token: 'rt-new' }),
      salvaged: 'rt-new',
    },
    {
      name: 'an unknown token_type',
      respond: () => jsonResponse({ ...ROTATED, token_type: 'mac' }),
      salvaged: 'rt-new',
    },
    {
      name: 'a DPoP token for a Bearer session',
      respond: () => jsonResponse({ ...ROTATED, token_type: 'DPoP' }),
      salvaged: 'rt-new',
    },
    {
      name: 'an expires_in that is no number',
      respond: () => jsonResponse({ ...ROTATED, expires_in: 'soon' }),
      salvaged: 'rt-new',
    },
    {
      name: 'a refresh_token of 4096 characters',
      respond: () => jsonResponse({ token_type: 'Bearer', refresh_token: LONGEST }),
      salvaged: LONGEST,
    },
    {
      name: 'a refresh_token of 4097 characters',
      respond: () => jsonResponse({ token_type: 'Bearer', refresh_token: `${LONGEST}r` }),
    },
    { name: 'an empty refresh_token', respond: () => jsonResponse({ token_type: 'Bearer', refresh_token: '' }) },
    { name: 'a numeric refresh_token', respond: () => jsonResponse({ ...ROTATED, refresh_token: 42 }) },
    {
      name: 'a refresh_token in an object',
      respond: () => jsonResponse({ token_type: 'Bearer', refresh_token: { value: 'rt-new' } }),
    },
    { name: 'a JSON array', respond: () => jsonResponse([ROTATED]) },
    {
      name: 'malformed JSON',
      respond: () =>
        new Response('{"refresh_token":"rt-new",', { status: 200, headers: { 'content-type': 'application/json' } }),
    },
  ];

  it.each(cases)('200 with $name → TOKEN_RESPONSE_INVALID; refresh token stored: $salvaged', async (c) => {
    const session = dueSession();
    useStore({ [SESSION_KEY]: session });
    respond = c.respond;

    const err = await rejectionOf(ensureFreshSession(runtime));

    expect(err.code).toBe('TOKEN_RESPONSE_INVALID');
    expect(requests).toHaveLength(1);
    expect(storedSession()).toEqual({
      ...session,
      refresh_token: c.salvaged ?? 'rt-old',
      refresh_failures: 1,
      // A rotated token in hand is not in doubt; an answer without one may have spent the old one.
      refresh_in_doubt: c.salvaged === undefined,
      retry_not_before: T0 + backoff(1),
      refresh_error: 'TOKEN_RESPONSE_INVALID',
    });
    // The access token of an answer that did not validate is never stored.
    expect(JSON.stringify(storedSession())).not.toContain('at-new');
    expect(changes).toEqual([]);
  });

  it('an error status is not salvaged: a 503 carrying a refresh_token leaves the old one, in doubt', async () => {
    useStore({ [SESSION_KEY]: dueSession() });
    respond = () => jsonResponse({ error: 'temporarily_unavailable', refresh_token: 'rt-new' }, 503);
    expect((await rejectionOf(ensureFreshSession(runtime))).code).toBe('SERVER_ERROR');
    expect(storedSession()).toMatchObject({ refresh_token: 'rt-old', refresh_in_doubt: true });
  });

  it('a salvage clears an earlier doubt, and the next try presents the salvaged token, not the spent one', async () => {
    useStore({ [SESSION_KEY]: dueSession({ refresh_failures: 2, refresh_in_doubt: true, refresh_error: 'TIMEOUT' }) });
    respond = (_request, index) =>
      index === 0 ? jsonResponse({ token_type: 'Bearer', refresh_token: 'rt-salvaged' }) : jsonResponse(ROTATED);

    expect((await rejectionOf(ensureFreshSession(runtime))).code).toBe('TOKEN_RESPONSE_INVALID');
    expect(storedSession()).toMatchObject({
      refresh_token: 'rt-salvaged',
      refresh_in_doubt: false,
      refresh_failures: 3,
      refresh_error: 'TOKEN_RESPONSE_INVALID',
    });

    clock = T0 + backoff(3);
    const next = await ensureFreshSession(runtime);

    expect(requests.map((r) => r.form?.get('refresh_token'))).toEqual(['rt-old', 'rt-salvaged']);
    expect(next).toMatchObject({ access_token: 'at-new', refresh_token: 'rt-new' });
    expect(storedSession()).toEqual(next);
    for (const field of BOOKKEEPING) expect(storedSession()).not.toHaveProperty(field);
  });

  it('invalid_grant for a salvaged token ends the session without reason refresh_lost', async () => {
    useStore({ [SESSION_KEY]: dueSession({ refresh_failures: 1, refresh_in_doubt: true }) });
    respond = (_request, index) =>
      index === 0
        ? jsonResponse({ token_type: 'Bearer', refresh_token: 'rt-salvaged' })
        : jsonResponse({ error: 'invalid_grant' }, 400);

    await rejectionOf(ensureFreshSession(runtime));
    clock = T0 + backoff(2);
    const err = await rejectionOf(ensureFreshSession(runtime));

    expect(err.code).toBe('SESSION_ENDED');
    expect(err.details.reason).toBeUndefined();
    expect(requests.map((r) => r.form?.get('refresh_token'))).toEqual(['rt-old', 'rt-salvaged']);
    expect(store.data.has(SESSION_KEY)).toBe(false);
    expect(changes).toEqual([{ kind: 'ended', code: 'SESSION_ENDED' }]);
  });
});

describe('ensureFreshSession with a DPoP-bound session', () => {
  const DPOP_ROTATED = { ...ROTATED, token_type: 'DPoP' };
  let keyThumbprint: string;

  beforeEach(async () => {
    pinJitter();
    useStore({ [SESSION_KEY]: dueSession({ dpop: true, token_type: 'dpop' }) });
    keyThumbprint = await keyPairThumbprint(await dpopKeyPair(runtime));
    respond = () => jsonResponse(DPOP_ROTATED);
  });

  it('#79 #76 the refresh carries a proof from the stored key: dpop+jwt, ES256, POST to the token endpoint', async () => {
    const next = await ensureFreshSession(runtime);

    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request.headers).not.toHaveProperty('authorization');
    expect(formOf(request)).toEqual({
      grant_type: ['refresh_token'],
      refresh_token: ['rt-old'],
      client_id: ['fieldpass'],
    });
    const proof = await proofOf(request);
    expect(await jwkThumbprint(proof.header.jwk!)).toBe(keyThumbprint);
    expect(proof.header).toMatchObject({ typ: 'dpop+jwt', alg: 'ES256' });
    expect(proof.header.jwk).not.toHaveProperty('d');
    expect(proof.payload).toMatchObject({ htm: 'POST', htu: server.token_endpoint, jti: expect.any(String) });
    expect(proof.payload).not.toHaveProperty('ath');
    expect(proof.payload).not.toHaveProperty('nonce');

    expect(next).toMatchObject({ access_token: 'at-new', refresh_token: 'rt-new', token_type: 'dpop', dpop: true });
    expect(storedSession()).toEqual(next);
    // The key is the one the tokens are bound to: still there, unchanged.
    expect(await keyPairThumbprint(store.data.get(DPOP_KEY) as CryptoKeyPair)).toBe(keyThumbprint);
  });

  it('#77 400 use_dpop_nonce → exactly one retry, whose proof carries the nonce', async () => {
    respond = (_request, index) => (index === 0 ? tokenNonceError('nonce-1') : jsonResponse(DPOP_ROTATED));

    const next = await ensureFreshSession(runtime);

    expect(requests).toHaveLength(2);
    expect(requests.map((r) => r.form?.get('refresh_token'))).toEqual(['rt-old', 'rt-old']);
    const [first, second] = await Promise.all(requests.map(proofOf));
    expect(first.payload).not.toHaveProperty('nonce');
    expect(second.payload.nonce).toBe('nonce-1');
    expect(second.payload.jti).not.toBe(first.payload.jti);
    expect(await jwkThumbprint(second.header.jwk!)).toBe(keyThumbprint);
    expect(next.access_token).toBe('at-new');
    for (const field of BOOKKEEPING) expect(storedSession()).not.toHaveProperty(field);
  });

  it('#77 two use_dpop_nonce in a row → SERVER_ERROR after two requests; the tokens kept, not in doubt', async () => {
    respond = (_request, index) => tokenNonceError(`nonce-${index + 1}`);

    const err = await rejectionOf(ensureFreshSession(runtime));

    // A nonce request is a 400 the server answered before using the refresh token: retry later.
    expect(err.code).toBe('SERVER_ERROR');
    expect(err.details).toMatchObject({ error: 'use_dpop_nonce', status: 400 });
    expect(requests).toHaveLength(2);
    expect(storedSession()).toEqual({
      ...dueSession({ dpop: true, token_type: 'dpop' }),
      refresh_failures: 1,
      refresh_in_doubt: false,
      retry_not_before: T0 + backoff(1),
      refresh_error: 'SERVER_ERROR',
    });
    expect(changes).toEqual([]);
  });

  it('#78 a Bearer token in answer to a DPoP refresh → TOKEN_RESPONSE_INVALID; only its refresh token kept', async () => {
    respond = (_request, index) => (index === 0 ? jsonResponse(ROTATED) : jsonResponse(DPOP_ROTATED));

    const err = await rejectionOf(ensureFreshSession(runtime));

    expect(err.code).toBe('TOKEN_RESPONSE_INVALID');
    expect(requests).toHaveLength(1);
    const stored = storedSession();
    expect(stored).toEqual({
      ...dueSession({ dpop: true, token_type: 'dpop' }),
      // The rotated refresh token is salvaged, so the next try does not present a spent one.
      refresh_token: 'rt-new',
      refresh_failures: 1,
      refresh_in_doubt: false,
      retry_not_before: T0 + backoff(1),
      refresh_error: 'TOKEN_RESPONSE_INVALID',
    });
    expect(JSON.stringify(stored)).not.toContain('at-new');
    expect(changes).toEqual([]);

    clock = T0 + backoff(1);
    const next = await ensureFreshSession(runtime);

    expect(requests.map((r) => r.form?.get('refresh_token'))).toEqual(['rt-old', 'rt-new']);
    expect(await jwkThumbprint((await proofOf(requests[1])).header.jwk!)).toBe(keyThumbprint);
    expect(next).toMatchObject({ access_token: 'at-new', token_type: 'dpop', dpop: true });
  });

  it('400 invalid_dpop_proof → SESSION_ENDED, the session deleted, the other tabs told once', async () => {
    respond = () => jsonResponse({ error: 'invalid_dpop_proof', error_description: 'bad proof' }, 400);

    const err = await rejectionOf(ensureFreshSession(runtime));

    expect(err.code).toBe('SESSION_ENDED');
    expect(err.details).toMatchObject({ error: 'invalid_dpop_proof', status: 400 });
    // Not a nonce request: no second try.
    expect(requests).toHaveLength(1);
    expect(store.data.has(SESSION_KEY)).toBe(false);
    expect(changes).toEqual([{ kind: 'ended', code: 'SESSION_ENDED' }]);
  });

  it('#79 the key gone (reset) → SESSION_ENDED with no request, no Bearer fallback, the session deleted', async () => {
    store.data.delete(DPOP_KEY);

    const err = await rejectionOf(ensureFreshSession(runtime));

    expect(err.code).toBe('SESSION_ENDED');
    expect(requests).toHaveLength(0);
    expect(store.data.has(SESSION_KEY)).toBe(false);
    expect(changes).toEqual([{ kind: 'ended', code: 'SESSION_ENDED' }]);
  });
});

describe('refreshRetryDelay (#49)', () => {
  it.each([
    [0, 0, 0],
    [1, 1_000, 2_000],
    [2, 2_000, 4_000],
    [3, 4_000, 8_000],
    [4, 8_000, 16_000],
    [5, 16_000, 32_000],
    [6, 30_000, 60_000],
    [7, 30_000, 60_000],
    [50, 30_000, 60_000],
    [5_000, 30_000, 60_000],
    [-1, 0, 0],
  ])('%i failures → between %i ms (random 0) and %i ms (random 1)', (failures, low, high) => {
    expect(refreshRetryDelay(failures, () => 0)).toBe(low);
    expect(refreshRetryDelay(failures, () => 1)).toBe(high);
  });

  it('equal jitter: half the ceiling fixed, the other half scaled by the random draw', () => {
    expect(refreshRetryDelay(3, () => 0.5)).toBe(6_000);
    expect(refreshRetryDelay(3, () => 0.25)).toBe(5_000);
  });

  it('never exceeds 60 s, never falls below half the ceiling, and never shrinks as failures grow', () => {
    for (const draw of [0, 0.25, 0.5, 0.999_999, 1]) {
      let previous = 0;
      for (let failures = 0; failures <= 200; failures += 1) {
        const delay = refreshRetryDelay(failures, () => draw);
        expect(delay).toBeGreaterThanOrEqual(previous);
        expect(delay).toBeLessThanOrEqual(60_000);
        if (failures > 0) expect(delay).toBeGreaterThanOrEqual(1_000);
        previous = delay;
      }
    }
  });

  it('uses Math.random by default: delays spread within the bounds', () => {
    const delays = Array.from({ length: 200 }, () => refreshRetryDelay(3));
    for (const delay of delays) {
      expect(delay).toBeGreaterThanOrEqual(4_000);
      expect(delay).toBeLessThanOrEqual(8_000);
    }
    expect(new Set(delays).size).toBeGreaterThan(1);
  });
});

describe('signOut', () => {
  const PENDING_A = 'pending:state-a';
  const PENDING_B = 'pending:state-b';

  it('#56 a refresh under way when sign-out starts cannot write a token set back afterwards', async () => {
    useStore({ [SESSION_KEY]: dueSession() });
    let answerRefresh!: () => void;
    respond = (request) =>
      request.url === server.token_endpoint
        ? new Promise<Response>((resolve) => (answerRefresh = () => resolve(jsonResponse(ROTATED))))
        : new Response(null, { status: 200 });

    const refreshing = ensureFreshSession(runtime);
    await expect.poll(() => requests.length).toBe(1);
    const signingOut = signOut(runtime);
    answerRefresh();
    await refreshing;
    await signingOut;

    expect(store.data.has(SESSION_KEY)).toBe(false);
    // Sign-out waited for the refresh, so it revoked the rotated refresh token, not the spent one.
    expect(requests.slice(1).map(formOf)).toContainEqual({
      token: ['rt-new'],
      token_type_hint: ['refresh_token'],
      client_id: ['fieldpass'],
    });
  });

  it('#53 removes the session first, then revokes the refresh token and the access token', async () => {
    useStore({ [SESSION_KEY]: freshSession(), [PENDING_A]: { x: 1 }, [PENDING_B]: { x: 2 } });
    const sessionPresentAtRequest: boolean[] = [];
    respond = () => {
      sessionPresentAtRequest.push(store.data.has(SESSION_KEY));
      return new Response(null, { status: 200 });
    };

    const result = await signOut(runtime);

    expect(result).toEqual({ revoked: true });
    expect(changes).toEqual([{ kind: 'signed-out' }]);
    expect(sessionPresentAtRequest).toEqual([false, false]);
    expect(store.data.size).toBe(0);
    expect(requests).toHaveLength(2);
    for (const request of requests) {
      expect(request.url).toBe(server.revocation_endpoint);
      expect(request.method).toBe('POST');
      expect(request.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
      expect(request.headers).not.toHaveProperty('authorization');
    }
    const forms = requests.map(formOf);
    expect(forms).toContainEqual({
      token: ['rt-old'],
      token_type_hint: ['refresh_token'],
      client_id: ['fieldpass'],
    });
    expect(forms).toContainEqual({
      token: ['at-old'],
      token_type_hint: ['access_token'],
      client_id: ['fieldpass'],
    });
  });

  it('clears the app’s own data after the token set is gone and before any revocation request', async () => {
    useStore({ [SESSION_KEY]: freshSession(), 'cache:lists': { x: 1 } });
    const steps: string[] = [];
    respond = () => {
      steps.push('revocation request');
      return new Response(null, { status: 200 });
    };
    const result = await signOut(runtime, async () => {
      steps.push(`clear (session stored: ${store.data.has(SESSION_KEY)})`);
      await store.del('cache:lists');
    });
    expect(result).toEqual({ revoked: true });
    expect(steps).toEqual(['clear (session stored: false)', 'revocation request', 'revocation request']);
    expect(store.data.size).toBe(0);
  });

  it('clears the app’s own data even when there is no session to revoke', async () => {
    useStore({ 'cache:lists': { x: 1 } });
    let cleared = false;
    expect(await signOut(runtime, async () => void (cleared = true))).toEqual({ revoked: true });
    expect(cleared).toBe(true);
    expect(requests).toHaveLength(0);
  });

  it.each([
    ['an empty body', () => new Response('', { status: 200 })],
    [
      'a garbage body',
      () => new Response('}{ not json', { status: 200, headers: { 'content-type': 'application/json' } }),
    ],
    ['an HTML body', () => new Response('<p>ok</p>', { status: 200, headers: { 'content-type': 'text/html' } })],
  ])('#54 a 200 with %s counts as revoked', async (_name, reply) => {
    useStore({ [SESSION_KEY]: freshSession() });
    respond = reply;
    expect(await signOut(runtime)).toEqual({ revoked: true });
    expect(requests).toHaveLength(2);
    expect(store.data.size).toBe(0);
  });

  it.each([
    ['fetch TypeError', () => Promise.reject(new TypeError('Failed to fetch'))],
    ['503', () => jsonResponse({ error: 'temporarily_unavailable' }, 503)],
  ])(
    '#55 revocation failing with %s → signed out here, the refresh token kept sealed to revoke later',
    async (_name, reply) => {
      useStore({ [SESSION_KEY]: freshSession(), [PENDING_A]: { x: 1 } });
      respond = reply;
      expect(await signOut(runtime)).toEqual({ revoked: false, problem: 'revocation_queued' });
      expect([...store.data.keys()]).toEqual([REVOCATIONS_KEY]);
      // The refresh token decides; the access token expires on its own.
      const queued = store.data.get(REVOCATIONS_KEY) as Array<{ token: string; hint: string }>;
      expect(queued.map((r) => [r.token, r.hint])).toEqual([['rt-old', 'refresh_token']]);
    },
  );

  it('#55 revocation refused for good (400 unsupported_token_type) → not revoked, nothing kept to retry', async () => {
    useStore({ [SESSION_KEY]: freshSession(), [PENDING_A]: { x: 1 } });
    respond = () => jsonResponse({ error: 'unsupported_token_type' }, 400);
    expect(await signOut(runtime)).toEqual({ revoked: false, problem: 'revocation_failed' });
    expect(store.data.size).toBe(0);
  });

  it('queued revocations are sent again later, until the server answers or they are no longer worth sending', async () => {
    useStore({ [SESSION_KEY]: freshSession() });
    respond = () => Promise.reject(new TypeError('Failed to fetch'));
    await signOut(runtime);
    expect(requests).toHaveLength(2);

    // Still unreachable: kept.
    await retryRevocations(runtime);
    expect(requests).toHaveLength(3);
    expect(store.data.get(REVOCATIONS_KEY)).toHaveLength(1);

    // Back: the refresh token is revoked and forgotten.
    respond = () => new Response(null, { status: 200 });
    await retryRevocations(runtime);
    expect(requests.slice(3).map(formOf)).toEqual([
      { token: ['rt-old'], token_type_hint: ['refresh_token'], client_id: ['fieldpass'] },
    ]);
    expect(store.data.has(REVOCATIONS_KEY)).toBe(false);
    await retryRevocations(runtime);
    expect(requests).toHaveLength(4);

    // One the server refuses for good is dropped; so is one 30 days old, without being sent.
    useStore({ [SESSION_KEY]: freshSession() });
    respond = () => Promise.reject(new TypeError('Failed to fetch'));
    await signOut(runtime);
    respond = () => jsonResponse({ error: 'invalid_request' }, 400);
    await retryRevocations(runtime);
    expect(store.data.has(REVOCATIONS_KEY)).toBe(false);
    useStore({ [SESSION_KEY]: freshSession() });
    respond = () => Promise.reject(new TypeError('Failed to fetch'));
    await signOut(runtime);
    const sent = requests.length;
    clock += 30 * 24 * 3_600_000 + 1;
    await retryRevocations(runtime);
    expect(requests).toHaveLength(sent);
    expect(store.data.has(REVOCATIONS_KEY)).toBe(false);
  });

  it('the refresh token decides: its revocation confirmed, the access token refused → revoked', async () => {
    useStore({ [SESSION_KEY]: freshSession() });
    respond = (request) =>
      request.form?.get('token_type_hint') === 'refresh_token'
        ? new Response(null, { status: 200 })
        : jsonResponse({ error: 'unsupported_token_type' }, 400);
    expect(await signOut(runtime)).toEqual({ revoked: true });
  });

  it('the refresh token decides: its revocation failing → not revoked, even when the access token was', async () => {
    useStore({ [SESSION_KEY]: freshSession() });
    respond = (request) =>
      request.form?.get('token_type_hint') === 'refresh_token'
        ? jsonResponse({ error: 'server_error' }, 500)
        : new Response(null, { status: 200 });
    expect(await signOut(runtime)).toEqual({ revoked: false, problem: 'revocation_queued' });
    expect((store.data.get(REVOCATIONS_KEY) as Array<{ hint: string }>).map((r) => r.hint)).toEqual(['refresh_token']);
  });

  it('without a refresh token, revokes the access token alone', async () => {
    useStore({ [SESSION_KEY]: freshSession({ refresh_token: undefined }) });
    respond = () => new Response(null, { status: 200 });
    expect(await signOut(runtime)).toEqual({ revoked: true });
    expect(requests.map(formOf)).toEqual([
      { token: ['at-old'], token_type_hint: ['access_token'], client_id: ['fieldpass'] },
    ]);
  });

  it('#57 no revocation endpoint → no request, problem no_revocation_endpoint, store cleared', async () => {
    useStore({
      [SESSION_KEY]: freshSession({ server: { ...server, revocation_endpoint: undefined } }),
      [PENDING_A]: { x: 1 },
    });
    expect(await signOut(runtime)).toEqual({ revoked: false, problem: 'no_revocation_endpoint' });
    expect(requests).toHaveLength(0);
    expect(store.data.size).toBe(0);
  });

  it('#56 signed out already: pending attempts and their keys removed, the device key and others kept', async () => {
    useStore({
      [PENDING_A]: { x: 1 },
      [PENDING_B]: { x: 2 },
      'key:dpop:state-a': { pair: 'a' },
      [DPOP_KEY]: { pair: 'device' },
      'key:dpopular': { pair: 'not an attempt key' },
      preferences: { theme: 'dark' },
    });
    await signOut(runtime);
    expect([...store.data.keys()].sort()).toEqual([DPOP_KEY, 'key:dpopular', 'preferences']);
    expect(requests).toHaveLength(0);
  });
});

describe('grantedScopes (#14)', () => {
  const requested = 'openid profile email read:work-orders write:work-orders';

  it.each([
    ['no ID-token user: identity scopes are not granted', undefined, ['read:work-orders']],
    ['a user with sub only: openid', { sub: 'u' }, ['read:work-orders', 'openid']],
    ['a user with a name: openid and profile', { sub: 'u', name: 'Ada' }, ['read:work-orders', 'openid', 'profile']],
    [
      'a user with name and email: all three',
      { sub: 'u', name: 'Ada', email: 'ada@example.com' },
      ['read:work-orders', 'openid', 'profile', 'email'],
    ],
  ])('%s', (_name, user, expected) => {
    const session = freshSession({ requested_scope: requested, scope: 'read:work-orders', user });
    expect(grantedScopes(session)).toEqual(expected);
  });

  it('does not count identity scopes that were not requested', () => {
    const session = freshSession({
      requested_scope: 'read:work-orders',
      scope: 'read:work-orders',
      user: { sub: 'u', name: 'Ada', email: 'ada@example.com' },
    });
    expect(grantedScopes(session)).toEqual(['read:work-orders']);
  });

  it('lists a scope the server granted only once', () => {
    const session = freshSession({ requested_scope: 'openid', scope: 'openid read:assets', user: { sub: 'u' } });
    expect(grantedScopes(session)).toEqual(['openid', 'read:assets']);
  });
});
