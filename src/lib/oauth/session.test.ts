import { beforeEach, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../storage/record-store.js';
import type { FieldpassErrorCode } from './errors.js';
import { fakeFetch, formOf, jsonResponse, type RecordedRequest, type Responder } from './fake-fetch.test-util.js';
import { TEST_SERVER, rejectionOf } from './fake-fetch.test-util.js';
import type { CoreRuntime } from './runtime.js';
import {
  ensureFreshSession,
  grantedScopes,
  isDueForRefresh,
  refreshMargin,
  SESSION_KEY,
  sessionFromTokenResponse,
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
  runtime = { store, fetch: fake.fetch, now: () => clock };
});

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
  it('#44 refreshes a due token once and writes the rotated set into the one session record', async () => {
    useStore({ [SESSION_KEY]: dueSession() });
    clock = T0 + 1_000;

    const next = await ensureFreshSession(runtime);

    expect(requests).toHaveLength(1);
    expect(requests[0].url).toBe(server.token_endpoint);
    expect(requests[0].method).toBe('POST');
    expect(requests[0].headers).not.toHaveProperty('authorization');
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
  });

  it('#47 invalid_grant → SESSION_ENDED and the session record deleted', async () => {
    useStore({ [SESSION_KEY]: dueSession(), other: 'kept' });
    respond = () => jsonResponse({ error: 'invalid_grant' }, 400);
    const err = await rejectionOf(ensureFreshSession(runtime));
    expect(err.code).toBe('SESSION_ENDED');
    expect(err.details.error).toBe('invalid_grant');
    expect(requests).toHaveLength(1);
    expect(store.data.has(SESSION_KEY)).toBe(false);
    expect(store.data.get('other')).toBe('kept');
  });

  const transient: { name: string; respond: Responder; code: FieldpassErrorCode }[] = [
    {
      name: '#49 503 with an HTML body',
      respond: () =>
        new Response('<h1>Service Unavailable</h1>', { status: 503, headers: { 'content-type': 'text/html' } }),
      code: 'SERVER_ERROR',
    },
    {
      name: '#49 503 temporarily_unavailable',
      respond: () => jsonResponse({ error: 'temporarily_unavailable' }, 503, { 'retry-after': '5' }),
      code: 'SERVER_ERROR',
    },
    {
      name: '#49 fetch TypeError',
      respond: () => {
        throw new TypeError('Failed to fetch');
      },
      code: 'NETWORK',
    },
    {
      name: '200 with a body that is not a token response',
      respond: () => jsonResponse({ token_type: 'Bearer' }),
      code: 'TOKEN_RESPONSE_INVALID',
    },
  ];

  it.each(transient)('$name → $code, the session record kept unchanged', async (fault) => {
    const session = dueSession();
    useStore({ [SESSION_KEY]: session });
    respond = fault.respond;
    const err = await rejectionOf(ensureFreshSession(runtime));
    expect(err.code).toBe(fault.code);
    expect(requests).toHaveLength(1);
    expect(store.data.get(SESSION_KEY)).toEqual(session);
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
    ['400 unsupported_token_type', () => jsonResponse({ error: 'unsupported_token_type' }, 400)],
  ])('#55 revocation failing with %s → revoked false, store still cleared', async (_name, reply) => {
    useStore({ [SESSION_KEY]: freshSession(), [PENDING_A]: { x: 1 } });
    respond = reply;
    expect(await signOut(runtime)).toEqual({ revoked: false, problem: 'revocation_failed' });
    expect(store.data.size).toBe(0);
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
    expect(await signOut(runtime)).toEqual({ revoked: false, problem: 'revocation_failed' });
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

  it('#56 signed out already: pending attempts removed, other records kept, no request', async () => {
    useStore({ [PENDING_A]: { x: 1 }, [PENDING_B]: { x: 2 }, preferences: { theme: 'dark' } });
    await signOut(runtime);
    expect([...store.data.keys()]).toEqual(['preferences']);
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
