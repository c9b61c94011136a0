import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createMemoryStore } from '../base/memory-store.js';
import type { ServerEndpoints } from './authorization-server.js';
import { attemptKeyName, DPOP_KEY, dpopKeyPair, requireDpopHandle } from './dpop.js';
import type { FieldpassErrorCode } from '../base/errors.js';
import { fakeFetch, formOf, jsonResponse, type RecordedRequest, type Responder } from './fake-fetch.test-util.js';
import { DPOP_SERVER, jwkThumbprint, keyPairThumbprint, proofOf, s256 } from './fake-fetch.test-util.js';
import { TEST_SERVER, rejectionOf, tokenNonceError } from './fake-fetch.test-util.js';
import { type CoreRuntime, type SessionChange } from './runtime.js';
import { inProcessLock, type Lock } from '../base/lock.js';
import { ensureFreshSession, SESSION_KEY, sessionLockName, type Session } from './session.js';
import { PENDING_PREFIX } from './pending.js';
import { completeSignIn, parEndpoint, startSignIn, type PendingSignIn, type StartSignInInput } from './sign-in.js';

const APP = 'http://127.0.0.1:4173';
const REDIRECT_URI = `${APP}/callback`;
const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);

const server = TEST_SERVER;

const TOKEN_RESPONSE = {
  access_token: 'at-1',
  token_type: 'Bearer',
  expires_in: 3600,
  refresh_token: 'rt-1',
  scope: 'read:work-orders',
};

function input(overrides: Partial<StartSignInInput> = {}): StartSignInInput {
  return {
    server,
    clientId: 'fieldpass',
    redirectUri: REDIRECT_URI,
    scopes: ['read:work-orders'],
    returnTo: '/dashboard?tab=1',
    par: 'auto',
    ...overrides,
  };
}

/** A callback URL with these parameters in this order; repeats allowed. */
function callbackUrl(params: [string, string][]): string {
  const url = new URL(REDIRECT_URI);
  for (const [key, value] of params) url.searchParams.append(key, value);
  return url.href;
}

let store: ReturnType<typeof createMemoryStore>;
let clock: number;
let requests: RecordedRequest[];
let respond: Responder;
let runtime: CoreRuntime;
/** What the core told the other tabs, in order. */
let changes: SessionChange[];

beforeEach(() => {
  store = createMemoryStore();
  clock = T0;
  respond = () => jsonResponse(TOKEN_RESPONSE);
  const fake = fakeFetch((request, index) => respond(request, index));
  requests = fake.requests;
  changes = [];
  runtime = { store, fetch: fake.fetch, now: () => clock, onChange: (change) => changes.push(change) };
});

describe('startSignIn', () => {
  it('#13 builds a code request with PKCE S256 and state, and no nonce without openid', async () => {
    const { url, pending } = await startSignIn(input(), runtime);
    expect(`${url.origin}${url.pathname}`).toBe(server.authorization_endpoint);
    const params = Object.fromEntries(url.searchParams);
    expect(params).toEqual({
      response_type: 'code',
      client_id: 'fieldpass',
      redirect_uri: REDIRECT_URI,
      scope: 'read:work-orders',
      state: pending.state,
      code_challenge: expect.any(String),
      code_challenge_method: 'S256',
    });
    expect([...url.searchParams.keys()]).toHaveLength(7);
  });

  it.each([
    [['read:work-orders'], false],
    [['openid', 'read:work-orders'], true],
    [['profile', 'email'], false],
  ])('#11 scopes %j → nonce sent: %s', async (scopes, withNonce) => {
    const { url, pending } = await startSignIn(input({ scopes }), runtime);
    expect(url.searchParams.has('nonce')).toBe(withNonce);
    expect(pending.nonce !== undefined).toBe(withNonce);
    if (withNonce) expect(url.searchParams.get('nonce')).toBe(pending.nonce);
    expect(url.searchParams.get('scope')).toBe(scopes.join(' '));
  });

  it('#10 sends the redirect URI exactly as given', async () => {
    const redirectUri = `${APP}/callback?tenant=a`;
    const { url } = await startSignIn(input({ redirectUri }), runtime);
    expect(url.searchParams.get('redirect_uri')).toBe(redirectUri);
  });

  it('#7 never puts the code verifier in the URL', async () => {
    const { url, pending } = await startSignIn(input(), runtime);
    expect(url.searchParams.has('code_verifier')).toBe(false);
    expect(url.href).not.toContain(pending.code_verifier);
    expect(decodeURIComponent(url.href)).not.toContain(pending.code_verifier);
  });

  it('#7 the challenge is BASE64URL(SHA256(verifier)) and the verifier is 43–128 unreserved characters', async () => {
    const { url, pending } = await startSignIn(input(), runtime);
    expect(pending.code_verifier).toMatch(/^[A-Za-z0-9\-._~]{43,128}$/);
    expect(url.searchParams.get('code_challenge')).toBe(await s256(pending.code_verifier));
  });

  it('#7 the reference S256 computation matches RFC 7636 Appendix B', async () => {
    expect(await s256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
  });

  it('#8 state is at least 22 base64url characters', async () => {
    const { pending } = await startSignIn(input(), runtime);
    expect(pending.state).toMatch(/^[A-Za-z0-9_-]{22,}$/);
  });

  it('#9 stores the attempt under pending:<state> with its verifier, server and return path', async () => {
    const { pending } = await startSignIn(input({ scopes: ['openid', 'read:work-orders'] }), runtime);
    expect([...store.data.keys()]).toEqual([`${PENDING_PREFIX}${pending.state}`]);
    const stored = store.data.get(`${PENDING_PREFIX}${pending.state}`) as PendingSignIn;
    expect(stored).toEqual({
      state: pending.state,
      code_verifier: pending.code_verifier,
      nonce: pending.nonce,
      server,
      client_id: 'fieldpass',
      redirect_uri: REDIRECT_URI,
      requested_scope: 'openid read:work-orders',
      return_to: '/dashboard?tab=1',
      created_at: T0,
      // The server does not advertise DPoP: the tokens will be Bearer tokens, bound to no key.
      dpop: false,
      dpop_key: undefined,
    });
    expect(stored.dpop_key).toBeUndefined();
    expect(requests).toHaveLength(0);
  });

  it('#7 #8 two attempts get different state, verifier and challenge; only the newer is kept (#26)', async () => {
    const first = await startSignIn(input(), runtime);
    const second = await startSignIn(input(), runtime);
    expect(second.pending.state).not.toBe(first.pending.state);
    expect(second.pending.code_verifier).not.toBe(first.pending.code_verifier);
    expect(second.url.searchParams.get('code_challenge')).not.toBe(first.url.searchParams.get('code_challenge'));
    expect(store.data.has(`${PENDING_PREFIX}${first.pending.state}`)).toBe(false);
    expect(store.data.has(`${PENDING_PREFIX}${second.pending.state}`)).toBe(true);
  });

  it('#9 sweeps attempts older than 10 minutes and keeps other records', async () => {
    const old = await startSignIn(input(), runtime);
    await store.set(SESSION_KEY, { marker: true });
    clock = T0 + 10 * 60 * 1000 + 1;
    const fresh = await startSignIn(input(), runtime);
    expect(store.data.has(`${PENDING_PREFIX}${old.pending.state}`)).toBe(false);
    expect(store.data.has(`${PENDING_PREFIX}${fresh.pending.state}`)).toBe(true);
    expect(store.data.has(SESSION_KEY)).toBe(true);
  });

  it('repeated scopes are sent once', async () => {
    const { url } = await startSignIn(input({ scopes: ['read:assets', 'read:assets', 'read:customers'] }), runtime);
    expect(url.searchParams.get('scope')).toBe('read:assets read:customers');
  });
});

describe('completeSignIn: success', () => {
  it('#35 trades the code once with a public-client form POST and stores the session', async () => {
    const { url, pending } = await startSignIn(input(), runtime);
    clock = T0 + 5_000;
    const result = await completeSignIn(
      callbackUrl([
        ['code', 'code-1'],
        ['state', pending.state],
        ['iss', server.issuer],
      ]),
      runtime,
    );

    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request.url).toBe(server.token_endpoint);
    expect(request.method).toBe('POST');
    expect(request.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(request.headers).not.toHaveProperty('authorization');
    expect(request.headers).not.toHaveProperty('cookie');
    expect(request.headers).not.toHaveProperty('dpop');
    expect(formOf(request)).toEqual({
      grant_type: ['authorization_code'],
      code: ['code-1'],
      redirect_uri: [REDIRECT_URI],
      code_verifier: [pending.code_verifier],
      client_id: ['fieldpass'],
    });
    // #10: the same redirect_uri string in both requests.
    expect(request.form?.get('redirect_uri')).toBe(url.searchParams.get('redirect_uri'));

    expect(result.returnTo).toBe('/dashboard?tab=1');
    const stored = store.data.get(SESSION_KEY) as Session;
    expect(stored).toMatchObject({
      access_token: 'at-1',
      refresh_token: 'rt-1',
      token_type: 'bearer',
      expires_in: 3600,
      expires_at: T0 + 5_000 + 3600 * 1000,
      scope: 'read:work-orders',
      requested_scope: 'read:work-orders',
      client_id: 'fieldpass',
      server,
    });
    expect(result.session).toEqual(stored);
    expect(stored.dpop).toBe(false);
    expect(changes).toEqual([{ kind: 'stored' }]);
    // #9 #58: the attempt, with its verifier, is gone.
    expect([...store.data.keys()]).toEqual([SESSION_KEY]);
    expect(JSON.stringify([...store.data.values()])).not.toContain(pending.code_verifier);
    // #27: the code itself is never stored.
    expect(JSON.stringify([...store.data.values()])).not.toContain('code-1');
  });

  it('#34 trades the code at the token endpoint stored with the attempt', async () => {
    const other: ServerEndpoints = { ...server, token_endpoint: 'https://as.example/tenant-b/token' };
    const { pending } = await startSignIn(input({ server: other }), runtime);
    await completeSignIn(
      callbackUrl([
        ['code', 'c'],
        ['state', pending.state],
        ['iss', server.issuer],
      ]),
      runtime,
    );
    expect(requests.map((r) => r.url)).toEqual(['https://as.example/tenant-b/token']);
  });

  it('#18 reads the code from a redirect URI that has its own query', async () => {
    const redirectUri = `${APP}/callback?tenant=a`;
    const { pending } = await startSignIn(input({ redirectUri }), runtime);
    const url = new URL(redirectUri);
    url.searchParams.append('code', 'code-2');
    url.searchParams.append('state', pending.state);
    url.searchParams.append('iss', server.issuer);
    await completeSignIn(url.href, runtime);
    expect(formOf(requests[0]).code).toEqual(['code-2']);
    expect(formOf(requests[0]).redirect_uri).toEqual([redirectUri]);
  });

  it('#23 does not require iss from a server that does not advertise it', async () => {
    const quiet: ServerEndpoints = { ...server, authorization_response_iss_parameter_supported: false };
    const { pending } = await startSignIn(input({ server: quiet }), runtime);
    await completeSignIn(
      callbackUrl([
        ['code', 'c'],
        ['state', pending.state],
      ]),
      runtime,
    );
    expect(requests).toHaveLength(1);
    expect(store.data.has(SESSION_KEY)).toBe(true);
  });

  it('#22c #27 a replay of a completed callback makes no second token request', async () => {
    const { pending } = await startSignIn(input(), runtime);
    const url = callbackUrl([
      ['code', 'code-1'],
      ['state', pending.state],
      ['iss', server.issuer],
    ]);
    await completeSignIn(url, runtime);
    const session = store.data.get(SESSION_KEY);

    const err = await rejectionOf(completeSignIn(url, runtime));
    expect(err.code).toBe('STATE_UNKNOWN');
    expect(requests).toHaveLength(1);
    expect(store.data.get(SESSION_KEY)).toEqual(session);
  });

  it('#26 a newer attempt replaces an older one: the old state is refused, the new one works', async () => {
    const first = await startSignIn(input(), runtime);
    const second = await startSignIn(input(), runtime);
    expect(store.data.has(`${PENDING_PREFIX}${first.pending.state}`)).toBe(false);

    const stale = await rejectionOf(
      completeSignIn(
        callbackUrl([
          ['code', 'c1'],
          ['state', first.pending.state],
          ['iss', server.issuer],
        ]),
        runtime,
      ),
    );
    expect(stale.code).toBe('STATE_UNKNOWN');
    expect(requests).toHaveLength(0);

    await completeSignIn(
      callbackUrl([
        ['code', 'c2'],
        ['state', second.pending.state],
        ['iss', server.issuer],
      ]),
      runtime,
    );
    expect(formOf(requests[0]).code_verifier).toEqual([second.pending.code_verifier]);
  });
});

describe('completeSignIn: hostile callbacks make no token request and store no session', () => {
  interface HostileCase {
    name: string;
    /** The callback's parameters, given the state of a real pending attempt. */
    params?: (state: string) => [string, string][];
    /** A whole callback URL instead of parameters. */
    url?: (state: string) => string;
    /** Runs after the attempt is started and before the callback arrives. */
    before?: (state: string) => Promise<void> | void;
    code: FieldpassErrorCode;
    details?: Record<string, unknown>;
    /** Whether the real attempt's record is consumed by this callback. */
    consumes: boolean;
  }

  const ISS = server.issuer;
  const cases: HostileCase[] = [
    {
      name: '#22a no state',
      params: () => [
        ['code', 'abc'],
        ['iss', ISS],
      ],
      code: 'STATE_MISSING',
      consumes: false,
    },
    {
      name: '#22b unknown (forged) state',
      params: () => [
        ['code', 'abc'],
        ['state', 'forged'],
        ['iss', ISS],
      ],
      code: 'STATE_UNKNOWN',
      consumes: false,
    },
    {
      name: '#22c #27 state used a second time',
      before: async (state) => {
        await completeSignIn(
          callbackUrl([
            ['error', 'access_denied'],
            ['state', state],
            ['iss', ISS],
          ]),
          runtime,
        ).catch(() => undefined);
      },
      params: (state) => [
        ['code', 'abc'],
        ['state', state],
        ['iss', ISS],
      ],
      code: 'STATE_UNKNOWN',
      consumes: true,
    },
    {
      name: '#9 attempt older than 10 minutes',
      before: () => {
        clock = T0 + 11 * 60 * 1000;
      },
      params: (state) => [
        ['code', 'abc'],
        ['state', state],
        ['iss', ISS],
      ],
      code: 'STATE_EXPIRED',
      consumes: true,
    },
    {
      name: '#23 iss of another server',
      params: (state) => [
        ['code', 'abc'],
        ['state', state],
        ['iss', 'https://evil.example'],
      ],
      code: 'CALLBACK_INVALID',
      consumes: true,
    },
    {
      name: '#23 iss with a trailing slash',
      params: (state) => [
        ['code', 'abc'],
        ['state', state],
        ['iss', `${ISS}/`],
      ],
      code: 'CALLBACK_INVALID',
      consumes: true,
    },
    {
      name: '#23 iss missing while the server advertises it',
      params: (state) => [
        ['code', 'abc'],
        ['state', state],
      ],
      code: 'CALLBACK_INVALID',
      consumes: true,
    },
    {
      name: '#24 error with the wrong iss is not attributed to the server',
      params: (state) => [
        ['error', 'access_denied'],
        ['state', state],
        ['iss', 'https://evil.example'],
      ],
      code: 'CALLBACK_INVALID',
      consumes: true,
    },
    {
      name: '#25 access_denied',
      params: (state) => [
        ['error', 'access_denied'],
        ['error_description', '<img src=x onerror=alert(1)>'],
        ['state', state],
        ['iss', ISS],
      ],
      code: 'SIGN_IN_CANCELLED',
      details: { error: 'access_denied' },
      consumes: true,
    },
    {
      name: 'invalid_scope',
      params: (state) => [
        ['error', 'invalid_scope'],
        ['state', state],
        ['iss', ISS],
      ],
      code: 'SIGN_IN_REJECTED',
      details: { error: 'invalid_scope' },
      consumes: true,
    },
    {
      name: '#28 code and error together',
      params: (state) => [
        ['code', 'abc'],
        ['error', 'server_error'],
        ['state', state],
        ['iss', ISS],
      ],
      code: 'SIGN_IN_REJECTED',
      details: { error: 'server_error' },
      consumes: true,
    },
    {
      name: '#28 duplicate code',
      params: (state) => [
        ['code', 'a'],
        ['code', 'b'],
        ['state', state],
        ['iss', ISS],
      ],
      code: 'CALLBACK_INVALID',
      consumes: true,
    },
    {
      name: '#28 duplicate state',
      params: (state) => [
        ['code', 'a'],
        ['state', state],
        ['state', 'other'],
        ['iss', ISS],
      ],
      code: 'CALLBACK_INVALID',
      consumes: true,
    },
    {
      name: '#28 duplicate iss',
      params: (state) => [
        ['code', 'a'],
        ['state', state],
        ['iss', ISS],
        ['iss', ISS],
      ],
      code: 'CALLBACK_INVALID',
      consumes: true,
    },
    {
      name: '#28 code only in the fragment',
      url: (state) =>
        `${callbackUrl([
          ['state', state],
          ['iss', ISS],
        ])}#code=abc`,
      code: 'CALLBACK_INVALID',
      consumes: true,
    },
    {
      name: 'no code and no error',
      params: (state) => [
        ['state', state],
        ['iss', ISS],
      ],
      code: 'CALLBACK_INVALID',
      consumes: true,
    },
    {
      name: '#13 implicit-flow token in the callback',
      params: (state) => [
        ['code', 'abc'],
        ['access_token', 'x'],
        ['token', 'x'],
        ['state', state],
        ['iss', ISS],
      ],
      code: 'CALLBACK_INVALID',
      consumes: true,
    },
    {
      name: 'response opened in a tab other than the one that started the attempt',
      before: () => {
        runtime = { ...runtime, tab: 'another-tab' };
      },
      params: (state) => [
        ['code', 'abc'],
        ['state', state],
        ['iss', ISS],
      ],
      code: 'STATE_UNKNOWN',
      consumes: true,
    },
    {
      name: '#29 callback URL over 8192 characters',
      params: (state) => [
        ['code', 'x'.repeat(9000)],
        ['state', state],
        ['iss', ISS],
      ],
      code: 'CALLBACK_INVALID',
      consumes: true,
    },
  ];

  it.each(cases)('$name → $code', async (c) => {
    const { pending } = await startSignIn(input(), runtime);
    await c.before?.(pending.state);
    const url = c.url ? c.url(pending.state) : callbackUrl(c.params!(pending.state));

    const err = await rejectionOf(completeSignIn(url, runtime));

    expect(err.code).toBe(c.code);
    if (c.details) expect(err.details).toMatchObject(c.details);
    expect(requests).toHaveLength(0);
    expect(store.data.has(SESSION_KEY)).toBe(false);
    expect(store.data.has(`${PENDING_PREFIX}${pending.state}`)).toBe(!c.consumes);
  });
});

describe('completeSignIn: the tab that started the attempt', () => {
  it('finishes the attempt in the tab whose mark it carries', async () => {
    runtime = { ...runtime, tab: 'tab-1' };
    const { pending } = await startSignIn(input(), runtime);
    expect(store.data.get(`${PENDING_PREFIX}${pending.state}`)).toMatchObject({ tab: 'tab-1' });
    const url = callbackUrl([
      ['code', 'abc'],
      ['state', pending.state],
      ['iss', server.issuer],
    ]);
    await expect(completeSignIn(url, { ...runtime, tab: 'tab-2' })).rejects.toMatchObject({ code: 'STATE_UNKNOWN' });
    expect(requests).toHaveLength(0);

    const again = await startSignIn(input(), runtime);
    const { session } = await completeSignIn(
      callbackUrl([
        ['code', 'abc'],
        ['state', again.pending.state],
        ['iss', server.issuer],
      ]),
      runtime,
    );
    expect(session.access_token).toBe(TOKEN_RESPONSE.access_token);
  });
});

describe('completeSignIn: a tab mark that arrives after the response (the service worker)', () => {
  const started = async () => {
    runtime = { ...runtime, tab: 'tab-1' };
    const { pending } = await startSignIn(input(), runtime);
    return callbackUrl([
      ['code', 'abc'],
      ['state', pending.state],
      ['iss', server.issuer],
    ]);
  };

  it('exchanges the code while the mark is on its way, and stores once the right tab claims it', async () => {
    const url = await started();
    let claim!: (tab: string) => void;
    const finishing = completeSignIn(url, { ...runtime, tab: new Promise((resolve) => (claim = resolve)) });
    await vi.waitFor(() => expect(requests.length).toBeGreaterThan(0));
    expect(store.data.has(SESSION_KEY)).toBe(false);

    claim('tab-1');
    const { session } = await finishing;
    expect(session.access_token).toBe(TOKEN_RESPONSE.access_token);
    expect(store.data.has(SESSION_KEY)).toBe(true);
  });

  it('stores nothing when another tab claims the response, and the attempt is spent', async () => {
    const url = await started();
    const err = await rejectionOf(completeSignIn(url, { ...runtime, tab: Promise.resolve('tab-2') }));
    expect(err.code).toBe('STATE_UNKNOWN');
    expect(store.data.has(SESSION_KEY)).toBe(false);
    expect([...store.data.keys()].filter((key) => key.startsWith(PENDING_PREFIX))).toEqual([]);
    expect((await rejectionOf(completeSignIn(url, { ...runtime, tab: 'tab-1' }))).code).toBe('STATE_UNKNOWN');
  });
});

describe('completeSignIn: token endpoint faults', () => {
  const faults: { name: string; respond: Responder; code: FieldpassErrorCode; details?: Record<string, unknown> }[] = [
    {
      name: '#37 HTTP 500 with an HTML body',
      respond: () =>
        new Response('<html><body>Oops</body></html>', { status: 500, headers: { 'content-type': 'text/html' } }),
      code: 'SERVER_ERROR',
      details: { status: 500 },
    },
    {
      name: '#40 400 invalid_grant',
      respond: () => jsonResponse({ error: 'invalid_grant', error_description: 'code expired' }, 400),
      code: 'CODE_REJECTED',
      details: { error: 'invalid_grant', status: 400 },
    },
    {
      name: '#41 401 invalid_client',
      respond: () => jsonResponse({ error: 'invalid_client' }, 401),
      code: 'CODE_REJECTED',
      details: { error: 'invalid_client' },
    },
    {
      name: '#39 200 with malformed JSON',
      respond: () => new Response('{"access_token":', { status: 200, headers: { 'content-type': 'application/json' } }),
      code: 'TOKEN_RESPONSE_INVALID',
    },
    {
      name: '#39 200 with a JSON array',
      respond: () => jsonResponse([TOKEN_RESPONSE]),
      code: 'TOKEN_RESPONSE_INVALID',
    },
    {
      name: '#36 200 without access_token',
      respond: () => jsonResponse({ token_type: 'Bearer', expires_in: 3600 }),
      code: 'TOKEN_RESPONSE_INVALID',
    },
    {
      name: '#36 200 with an unknown token_type',
      respond: () => jsonResponse({ ...TOKEN_RESPONSE, token_type: 'mac' }),
      code: 'TOKEN_RESPONSE_INVALID',
    },
    {
      name: '#42 fetch rejects with a TypeError (unreachable or CORS)',
      respond: () => {
        throw new TypeError('Failed to fetch');
      },
      code: 'NETWORK',
    },
  ];

  it.each(faults)('$name → $code, one request, nothing stored', async (fault) => {
    respond = fault.respond;
    const { pending } = await startSignIn(input(), runtime);

    const err = await rejectionOf(
      completeSignIn(
        callbackUrl([
          ['code', 'abc'],
          ['state', pending.state],
          ['iss', server.issuer],
        ]),
        runtime,
      ),
    );

    expect(err.code).toBe(fault.code);
    if (fault.details) expect(err.details).toMatchObject(fault.details);
    // #37 #38: the code is never retried.
    expect(requests).toHaveLength(1);
    expect(requests[0].url).toBe(server.token_endpoint);
    expect(store.data.has(SESSION_KEY)).toBe(false);
    expect(store.data.has(`${PENDING_PREFIX}${pending.state}`)).toBe(false);
    expect(store.data.size).toBe(0);
    expect(changes).toEqual([]);
  });

  it('#38 a request that outlives the timeout → TIMEOUT, nothing stored', async () => {
    runtime = { ...runtime, timeoutMs: 20 };
    runtime.fetch = (url, options) =>
      new Promise<Response>((_resolve, reject) => {
        requests.push({ url, method: options.method, headers: options.headers, body: undefined, form: undefined });
        options.signal?.addEventListener('abort', () => reject(options.signal?.reason));
      });
    const { pending } = await startSignIn(input(), runtime);
    const err = await rejectionOf(
      completeSignIn(
        callbackUrl([
          ['code', 'abc'],
          ['state', pending.state],
          ['iss', server.issuer],
        ]),
        runtime,
      ),
    );
    expect(err.code).toBe('TIMEOUT');
    expect(requests).toHaveLength(1);
    expect(store.data.size).toBe(0);
  });
});

describe('sign-in with a server that accepts DPoP (RFC 9449)', () => {
  const DPOP_TOKENS = { ...TOKEN_RESPONSE, token_type: 'DPoP' };

  beforeEach(() => {
    respond = () => jsonResponse(DPOP_TOKENS);
  });

  /** Starts a sign-in with the DPoP server and returns its URL and the callback that completes it. */
  async function start(overrides: Partial<StartSignInInput> = {}) {
    const { url, pending } = await startSignIn(input({ server: DPOP_SERVER, ...overrides }), runtime);
    const callback = callbackUrl([
      ['code', 'code-1'],
      ['state', pending.state],
      ['iss', server.issuer],
    ]);
    return { url, pending, callback };
  }

  const storedKeyThumbprint = () => keyPairThumbprint(store.data.get(DPOP_KEY) as CryptoKeyPair);
  const keyThumbprintAt = (name: string) => keyPairThumbprint(store.data.get(name) as CryptoKeyPair);

  it('#75 #76 #80 without a session, a key of the attempt’s own signs the token request and becomes the device key', async () => {
    const { url, pending, callback } = await start();
    const attemptKey = attemptKeyName(pending.state);
    expect(attemptKey).toBe(`key:dpop:${pending.state}`);
    expect(pending).toMatchObject({ dpop: true, dpop_key: attemptKey });
    expect(store.data.get(`${PENDING_PREFIX}${pending.state}`)).toMatchObject({ dpop: true, dpop_key: attemptKey });
    const jkt = url.searchParams.get('dpop_jkt');
    expect(jkt).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(jkt).toBe(await keyThumbprintAt(attemptKey));
    expect((store.data.get(attemptKey) as CryptoKeyPair).privateKey.extractable).toBe(false);
    // The device key is only written when the sign-in completes.
    expect([...store.data.keys()].sort()).toEqual([attemptKey, `${PENDING_PREFIX}${pending.state}`]);

    clock = T0 + 5_000;
    const { session } = await completeSignIn(callback, runtime);

    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request.url).toBe(server.token_endpoint);
    expect(request.headers).not.toHaveProperty('authorization');
    expect(formOf(request)).toEqual({
      grant_type: ['authorization_code'],
      code: ['code-1'],
      redirect_uri: [REDIRECT_URI],
      code_verifier: [pending.code_verifier],
      client_id: ['fieldpass'],
    });
    const proof = await proofOf(request);
    expect(proof.header).toEqual({ typ: 'dpop+jwt', alg: 'ES256', jwk: expect.any(Object) });
    expect(proof.header.jwk).not.toHaveProperty('d');
    expect(proof.header.jwk).toEqual({ kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String) });
    expect(await jwkThumbprint(proof.header.jwk!)).toBe(jkt);
    expect(proof.payload).toEqual({
      jti: expect.stringMatching(/^[A-Za-z0-9_-]{16,}$/),
      htm: 'POST',
      htu: server.token_endpoint,
      iat: expect.any(Number),
    });
    // oauth4webapi stamps proofs with the real clock, not the runtime's.
    expect(Math.abs(proof.payload.iat! - Date.now() / 1000)).toBeLessThan(60);

    expect(session).toMatchObject({ access_token: 'at-1', token_type: 'dpop', dpop: true });
    expect(store.data.get(SESSION_KEY)).toEqual(session);
    // The attempt's key is now the device key, stored once.
    expect([...store.data.keys()].sort()).toEqual([DPOP_KEY, SESSION_KEY]);
    expect(await storedKeyThumbprint()).toBe(jkt);
    expect((store.data.get(DPOP_KEY) as CryptoKeyPair).privateKey.extractable).toBe(false);
    expect(changes).toEqual([{ kind: 'stored' }]);
  });

  it.each([
    ['no DPoP algorithms', undefined],
    ['only RS256', ['RS256']],
  ])('a server advertising %s gets no dpop_jkt, no key and no proof', async (_name, algs) => {
    const plain: ServerEndpoints = { ...server, dpop_signing_alg_values_supported: algs };
    respond = () => jsonResponse(TOKEN_RESPONSE);
    const { url, pending } = await startSignIn(input({ server: plain }), runtime);
    expect(url.searchParams.has('dpop_jkt')).toBe(false);
    expect(pending.dpop).toBe(false);
    expect(pending.dpop_key).toBeUndefined();
    expect([...store.data.keys()]).toEqual([`${PENDING_PREFIX}${pending.state}`]);
    await completeSignIn(
      callbackUrl([
        ['code', 'c'],
        ['state', pending.state],
        ['iss', server.issuer],
      ]),
      runtime,
    );
    expect(requests[0].headers).not.toHaveProperty('dpop');
    expect([...store.data.keys()]).toEqual([SESSION_KEY]);
    expect((store.data.get(SESSION_KEY) as Session).dpop).toBe(false);
  });

  it('#77 400 use_dpop_nonce → exactly two token requests, the second proof carrying the nonce', async () => {
    respond = (_request, index) => (index === 0 ? tokenNonceError('nonce-1') : jsonResponse(DPOP_TOKENS));
    const { url, callback } = await start();

    await completeSignIn(callback, runtime);

    expect(requests).toHaveLength(2);
    expect(requests.map(formOf)).toEqual([formOf(requests[0]), formOf(requests[0])]);
    const [first, second] = await Promise.all(requests.map(proofOf));
    expect(first.payload).not.toHaveProperty('nonce');
    expect(second.payload.nonce).toBe('nonce-1');
    expect(second.payload.jti).not.toBe(first.payload.jti);
    expect(await jwkThumbprint(first.header.jwk!)).toBe(url.searchParams.get('dpop_jkt'));
    expect(await jwkThumbprint(second.header.jwk!)).toBe(url.searchParams.get('dpop_jkt'));
    expect(store.data.get(SESSION_KEY)).toMatchObject({ access_token: 'at-1', dpop: true });
  });

  it('#77 two use_dpop_nonce in a row → an error after two requests, no loop, nothing stored', async () => {
    respond = (_request, index) => tokenNonceError(`nonce-${index + 1}`);
    const { pending, callback } = await start();

    const err = await rejectionOf(completeSignIn(callback, runtime));

    expect(err.code).toBe('CODE_REJECTED');
    expect(err.details).toMatchObject({ status: 400, error: 'use_dpop_nonce' });
    expect(requests).toHaveLength(2);
    expect(store.data.has(SESSION_KEY)).toBe(false);
    expect(store.data.has(DPOP_KEY)).toBe(false);
    expect(store.data.has(`${PENDING_PREFIX}${pending.state}`)).toBe(false);
    expect(changes).toEqual([]);
  });

  it.each([
    ['#78 a Bearer token when DPoP was used', DPOP_SERVER, { ...TOKEN_RESPONSE, token_type: 'Bearer' }],
    ['#78 a lower-case bearer token when DPoP was used', DPOP_SERVER, { ...TOKEN_RESPONSE, token_type: 'bearer' }],
    ['a DPoP token when DPoP was not used', server, { ...TOKEN_RESPONSE, token_type: 'DPoP' }],
  ])('%s → TOKEN_RESPONSE_INVALID, nothing stored', async (_name, endpoints, answer) => {
    respond = () => jsonResponse(answer);
    const { pending, callback } = await start({ server: endpoints });

    const err = await rejectionOf(completeSignIn(callback, runtime));

    expect(err.code).toBe('TOKEN_RESPONSE_INVALID');
    expect(requests).toHaveLength(1);
    expect(store.data.has(SESSION_KEY)).toBe(false);
    expect(store.data.has(DPOP_KEY)).toBe(false);
    expect(store.data.has(`${PENDING_PREFIX}${pending.state}`)).toBe(false);
    expect(JSON.stringify([...store.data.values()])).not.toContain('at-1');
    expect(changes).toEqual([]);
  });

  it('without a session, an existing device key is left alone until the attempt completes, then replaced', async () => {
    const old = await keyPairThumbprint(await dpopKeyPair(runtime));
    // A proof handle for the old key, cached as a refresh would have left it.
    await requireDpopHandle(runtime);

    const { url, pending, callback } = await start();

    const jkt = url.searchParams.get('dpop_jkt');
    expect(jkt).not.toBe(old);
    expect(pending.dpop_key).toBe(attemptKeyName(pending.state));
    expect(await keyThumbprintAt(attemptKeyName(pending.state))).toBe(jkt);
    expect(await storedKeyThumbprint()).toBe(old);

    await completeSignIn(callback, runtime);

    expect(await jwkThumbprint((await proofOf(requests[0])).header.jwk!)).toBe(jkt);
    expect(await storedKeyThumbprint()).toBe(jkt);
    expect([...store.data.keys()].sort()).toEqual([DPOP_KEY, SESSION_KEY]);

    // The refresh signs with the promoted key, not the old one its handle was cached for.
    clock = T0 + 3_590_000;
    respond = () => jsonResponse({ ...DPOP_TOKENS, access_token: 'at-2', refresh_token: 'rt-2' });
    await ensureFreshSession(runtime);
    expect(requests).toHaveLength(2);
    expect(formOf(requests[1])).toMatchObject({ grant_type: ['refresh_token'], refresh_token: ['rt-1'] });
    expect(await jwkThumbprint((await proofOf(requests[1])).header.jwk!)).toBe(jkt);
  });

  it('a newer attempt without a session discards the older attempt and its key', async () => {
    const first = await start();
    const second = await start();

    expect(second.pending.dpop_key).toBe(attemptKeyName(second.pending.state));
    expect(second.url.searchParams.get('dpop_jkt')).not.toBe(first.url.searchParams.get('dpop_jkt'));
    expect([...store.data.keys()].sort()).toEqual(
      [attemptKeyName(second.pending.state), `${PENDING_PREFIX}${second.pending.state}`].sort(),
    );
  });

  it('an incremental sign-in (session stored) keeps the key the tokens are bound to', async () => {
    const first = await start();
    await completeSignIn(first.callback, runtime);
    const bound = first.url.searchParams.get('dpop_jkt');

    const more = await start({ scopes: ['read:work-orders', 'write:work-orders'] });
    expect(more.pending.dpop_key).toBe(DPOP_KEY);
    expect(more.url.searchParams.get('dpop_jkt')).toBe(bound);
    expect(await storedKeyThumbprint()).toBe(bound);
    // No key of its own.
    expect([...store.data.keys()].sort()).toEqual([DPOP_KEY, `${PENDING_PREFIX}${more.pending.state}`, SESSION_KEY]);
    await completeSignIn(more.callback, runtime);

    expect(requests).toHaveLength(2);
    const proofs = await Promise.all(requests.map(proofOf));
    for (const proof of proofs) expect(await jwkThumbprint(proof.header.jwk!)).toBe(bound);
    expect(await storedKeyThumbprint()).toBe(bound);
    expect([...store.data.keys()].sort()).toEqual([DPOP_KEY, SESSION_KEY]);
  });

  it('a session stored without a device key: the attempt creates one at key:dpop and uses it', async () => {
    const session = { marker: 'stored session' };
    await store.set(SESSION_KEY, session);

    const { url, pending } = await start();

    expect(pending.dpop_key).toBe(DPOP_KEY);
    expect(url.searchParams.get('dpop_jkt')).toBe(await storedKeyThumbprint());
    expect([...store.data.keys()].sort()).toEqual([DPOP_KEY, `${PENDING_PREFIX}${pending.state}`, SESSION_KEY]);
    expect(store.data.get(SESSION_KEY)).toEqual(session);
  });

  it.each([
    ['no device key', false],
    ['a device key present', true],
  ])(
    '#79 the attempt’s key deleted before the callback, %s → SESSION_ENDED, no token request, nothing stored',
    async (_name, withDeviceKey) => {
      const device = withDeviceKey ? await keyPairThumbprint(await dpopKeyPair(runtime)) : undefined;
      const { pending, callback } = await start();
      store.data.delete(attemptKeyName(pending.state));

      const err = await rejectionOf(completeSignIn(callback, runtime));

      expect(err.code).toBe('SESSION_ENDED');
      // Never signed with the device key instead.
      expect(requests).toHaveLength(0);
      expect([...store.data.keys()]).toEqual(withDeviceKey ? [DPOP_KEY] : []);
      if (device) expect(await storedKeyThumbprint()).toBe(device);
      expect(changes).toEqual([]);
    },
  );

  it('#79 the device key deleted during an incremental attempt → SESSION_ENDED, no token request, session kept', async () => {
    const first = await start();
    await completeSignIn(first.callback, runtime);
    const session = store.data.get(SESSION_KEY);
    const more = await start({ scopes: ['read:work-orders', 'write:work-orders'] });
    store.data.delete(DPOP_KEY);

    const err = await rejectionOf(completeSignIn(more.callback, runtime));

    expect(err.code).toBe('SESSION_ENDED');
    expect(requests).toHaveLength(1);
    expect([...store.data.keys()]).toEqual([SESSION_KEY]);
    expect(store.data.get(SESSION_KEY)).toEqual(session);
  });
});

describe('completeSignIn and the session lock', () => {
  /** A lock that runs `work` through the in-process queue and records what the store held around it. */
  function recordingLock() {
    const held: { name: string; before: string[]; after: string[]; toldBeforeRelease: number }[] = [];
    const lock: Lock = (name, work) =>
      inProcessLock(name, async () => {
        const before = [...store.data.keys()].sort();
        const result = await work();
        held.push({ name, before, after: [...store.data.keys()].sort(), toldBeforeRelease: changes.length });
        return result;
      });
    return { lock, held };
  }

  const LOCK_NAME = sessionLockName({ server, client_id: 'fieldpass' });

  it('writes the session under sessionLockName', async () => {
    const { lock, held } = recordingLock();
    runtime.lock = lock;
    const { pending } = await startSignIn(input(), runtime);

    const { session } = await completeSignIn(
      callbackUrl([
        ['code', 'code-1'],
        ['state', pending.state],
        ['iss', server.issuer],
      ]),
      runtime,
    );

    expect(LOCK_NAME).toBe('fieldpass-refresh:https://as.example:fieldpass');
    expect(held).toEqual([{ name: LOCK_NAME, before: [], after: [SESSION_KEY], toldBeforeRelease: 0 }]);
    expect(store.data.get(SESSION_KEY)).toEqual(session);
    expect(changes).toEqual([{ kind: 'stored' }]);
  });

  it('promotes the attempt’s DPoP key to the device key under the same lock as the session write', async () => {
    respond = () => jsonResponse({ ...TOKEN_RESPONSE, token_type: 'DPoP' });
    const { lock, held } = recordingLock();
    runtime.lock = lock;
    const { url, pending } = await startSignIn(input({ server: DPOP_SERVER }), runtime);
    const attemptKey = attemptKeyName(pending.state);
    // Starting made the attempt's key under the key lock, not the session lock.
    expect(held.map((h) => h.name)).toEqual(['fieldpass-dpop-key']);
    held.length = 0;

    await completeSignIn(
      callbackUrl([
        ['code', 'code-1'],
        ['state', pending.state],
        ['iss', server.issuer],
      ]),
      runtime,
    );

    expect(held).toEqual([
      { name: LOCK_NAME, before: [attemptKey], after: [DPOP_KEY, SESSION_KEY], toldBeforeRelease: 0 },
    ]);
    expect(await keyPairThumbprint(store.data.get(DPOP_KEY) as CryptoKeyPair)).toBe(url.searchParams.get('dpop_jkt'));
  });

  it('a refresh holding the lock finishes first; the sign-in’s token set is written after it, not under it', async () => {
    const order: string[] = [];
    runtime.lock = (name, work) =>
      inProcessLock(name, async () => {
        order.push(`enter ${name}`);
        try {
          return await work();
        } finally {
          order.push(`leave ${name}`);
        }
      });
    // A session due for refresh, and an incremental sign-in for more scopes under way.
    const first = await startSignIn(input(), runtime);
    await completeSignIn(
      callbackUrl([
        ['code', 'code-1'],
        ['state', first.pending.state],
        ['iss', server.issuer],
      ]),
      runtime,
    );
    order.length = 0;
    clock = T0 + 3_590_000;
    let answerRefresh!: () => void;
    respond = (request) =>
      request.form?.get('grant_type') === 'refresh_token'
        ? new Promise<Response>(
            (resolve) =>
              (answerRefresh = () =>
                resolve(jsonResponse({ ...TOKEN_RESPONSE, access_token: 'at-refreshed', refresh_token: 'rt-2' }))),
          )
        : jsonResponse({ ...TOKEN_RESPONSE, access_token: 'at-consent', refresh_token: 'rt-consent' });
    const more = await startSignIn(input({ scopes: ['read:work-orders', 'write:work-orders'] }), runtime);

    const refreshing = ensureFreshSession(runtime);
    await expect.poll(() => requests.length).toBe(2);
    let signedIn = false;
    const signingIn = completeSignIn(
      callbackUrl([
        ['code', 'code-2'],
        ['state', more.pending.state],
        ['iss', server.issuer],
      ]),
      runtime,
    ).then((result) => {
      signedIn = true;
      return result;
    });
    await expect.poll(() => requests.length).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 20));

    // The code was traded, but the token set waits for the refresh that holds the lock.
    expect(signedIn).toBe(false);
    expect((store.data.get(SESSION_KEY) as Session).access_token).toBe('at-1');
    answerRefresh();
    await refreshing;
    const { session } = await signingIn;

    expect(requests.map((r) => r.form?.get('grant_type'))).toEqual([
      'authorization_code',
      'refresh_token',
      'authorization_code',
    ]);
    expect(order).toEqual([`enter ${LOCK_NAME}`, `leave ${LOCK_NAME}`, `enter ${LOCK_NAME}`, `leave ${LOCK_NAME}`]);
    // The sign-in's set stands; the refresh of the older grant did not write over it.
    expect(session).toMatchObject({ access_token: 'at-consent', refresh_token: 'rt-consent' });
    expect(store.data.get(SESSION_KEY)).toEqual(session);
  });
});

describe('pushed authorization requests (RFC 9126)', () => {
  const PAR_ENDPOINT = 'https://as.example/par';
  const PAR_SERVER: ServerEndpoints = { ...DPOP_SERVER, pushed_authorization_request_endpoint: PAR_ENDPOINT };
  const REQUEST_URI = 'urn:ietf:params:oauth:request_uri:pushed-1';
  const DPOP_TOKENS = { ...TOKEN_RESPONSE, token_type: 'DPoP' };
  const pushed = () => jsonResponse({ request_uri: REQUEST_URI, expires_in: 60 }, 201);

  beforeEach(() => {
    respond = (request) => (request.url === PAR_ENDPOINT ? pushed() : jsonResponse(DPOP_TOKENS));
  });

  const pendingKeys = () => [...store.data.keys()].filter((key) => key.startsWith(PENDING_PREFIX));

  it('pushes PKCE, state, nonce, scope, redirect_uri and dpop_jkt; the URL carries only client_id and request_uri', async () => {
    const { url, pending } = await startSignIn(
      input({ server: PAR_SERVER, scopes: ['openid', 'read:work-orders'] }),
      runtime,
    );

    expect(requests).toHaveLength(1);
    const [push] = requests;
    expect(push.url).toBe(PAR_ENDPOINT);
    expect(push.method).toBe('POST');
    expect(push.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    // A public client: no credentials.
    expect(push.headers).not.toHaveProperty('authorization');
    const attemptKey = attemptKeyName(pending.state);
    const thumbprint = await keyPairThumbprint(store.data.get(attemptKey) as CryptoKeyPair);
    expect(formOf(push)).toEqual({
      response_type: ['code'],
      client_id: ['fieldpass'],
      redirect_uri: [REDIRECT_URI],
      scope: ['openid read:work-orders'],
      state: [pending.state],
      code_challenge: [await s256(pending.code_verifier)],
      code_challenge_method: ['S256'],
      nonce: [pending.nonce!],
      dpop_jkt: [thumbprint],
    });
    expect(push.body).not.toContain(pending.code_verifier);

    expect(`${url.origin}${url.pathname}`).toBe(PAR_SERVER.authorization_endpoint);
    expect([...url.searchParams]).toEqual([
      ['client_id', 'fieldpass'],
      ['request_uri', REQUEST_URI],
    ]);

    // The attempt is stored as without PAR.
    expect(store.data.get(`${PENDING_PREFIX}${pending.state}`)).toEqual(pending);
    expect(pending).toMatchObject({ dpop: true, dpop_key: attemptKey, server: PAR_SERVER });
  });

  it('the push carries a DPoP proof by the key dpop_jkt names, for this POST to the PAR endpoint (RFC 9449 §10.1)', async () => {
    const { pending } = await startSignIn(input({ server: PAR_SERVER }), runtime);

    const proof = await proofOf(requests[0]);
    expect(proof.header).toMatchObject({ typ: 'dpop+jwt', alg: 'ES256' });
    expect(proof.payload).toMatchObject({ htm: 'POST', htu: PAR_ENDPOINT });
    expect(proof.payload.nonce).toBeUndefined();
    const thumbprint = await keyPairThumbprint(store.data.get(attemptKeyName(pending.state)) as CryptoKeyPair);
    expect(await jwkThumbprint(proof.header.jwk!)).toBe(thumbprint);
    expect(formOf(requests[0]).dpop_jkt).toEqual([thumbprint]);
  });

  it('use_dpop_nonce at the PAR endpoint: pushed once more with the nonce, then on as usual', async () => {
    respond = (_request, index) => (index === 0 ? tokenNonceError('par-nonce-1') : pushed());

    const { url, pending } = await startSignIn(input({ server: PAR_SERVER }), runtime);

    expect(requests.map((r) => r.url)).toEqual([PAR_ENDPOINT, PAR_ENDPOINT]);
    expect((await proofOf(requests[0])).payload.nonce).toBeUndefined();
    const retried = await proofOf(requests[1]);
    expect(retried.payload.nonce).toBe('par-nonce-1');
    expect(retried.payload.jti).not.toBe((await proofOf(requests[0])).payload.jti);
    expect(formOf(requests[1])).toEqual(formOf(requests[0]));
    expect(url.searchParams.get('request_uri')).toBe(REQUEST_URI);
    expect(store.data.has(`${PENDING_PREFIX}${pending.state}`)).toBe(true);
  });

  it('a second use_dpop_nonce in a row is not pushed again: SIGN_IN_REJECTED, nothing left', async () => {
    respond = () => tokenNonceError('par-nonce-again');

    const err = await rejectionOf(startSignIn(input({ server: PAR_SERVER }), runtime));

    expect(err.code).toBe('SIGN_IN_REJECTED');
    expect(err.details.error).toBe('use_dpop_nonce');
    expect(requests).toHaveLength(2);
    expect([...store.data.keys()]).toEqual([]);
  });

  it('to a server without DPoP: pushed with neither proof nor dpop_jkt', async () => {
    const plain: ServerEndpoints = { ...TEST_SERVER, pushed_authorization_request_endpoint: PAR_ENDPOINT };

    const { url, pending } = await startSignIn(input({ server: plain }), runtime);

    expect(requests).toHaveLength(1);
    expect(requests[0].headers).not.toHaveProperty('dpop');
    expect(formOf(requests[0])).not.toHaveProperty('dpop_jkt');
    expect(formOf(requests[0]).state).toEqual([pending.state]);
    expect(pending.dpop).toBe(false);
    expect([...url.searchParams.keys()]).toEqual(['client_id', 'request_uri']);
  });

  it('the callback finishes a pushed attempt as any other: its verifier, and a proof by the key dpop_jkt named', async () => {
    const { pending } = await startSignIn(input({ server: PAR_SERVER }), runtime);
    const { session } = await completeSignIn(
      callbackUrl([
        ['code', 'code-1'],
        ['state', pending.state],
        ['iss', server.issuer],
      ]),
      runtime,
    );
    expect(requests.map((r) => r.url)).toEqual([PAR_ENDPOINT, server.token_endpoint]);
    expect(formOf(requests[1]).code_verifier).toEqual([pending.code_verifier]);
    expect(await jwkThumbprint((await proofOf(requests[1])).header.jwk!)).toBe(formOf(requests[0]).dpop_jkt[0]);
    expect(session).toMatchObject({ token_type: 'dpop', dpop: true });
    expect([...store.data.keys()].sort()).toEqual([DPOP_KEY, SESSION_KEY]);
  });

  it('keeps the query the authorization endpoint already has', async () => {
    const tenant: ServerEndpoints = { ...PAR_SERVER, authorization_endpoint: 'https://as.example/authorize?tenant=a' };
    const { url } = await startSignIn(input({ server: tenant }), runtime);
    expect([...url.searchParams]).toEqual([
      ['tenant', 'a'],
      ['client_id', 'fieldpass'],
      ['request_uri', REQUEST_URI],
    ]);
    expect(formOf(requests[0])).not.toHaveProperty('tenant');
  });

  it('off never pushes: the parameters go in the URL, as to a server without PAR', async () => {
    const { url, pending } = await startSignIn(input({ server: PAR_SERVER, par: 'off' }), runtime);
    expect(requests).toHaveLength(0);
    expect(url.searchParams.has('request_uri')).toBe(false);
    expect(url.searchParams.get('state')).toBe(pending.state);
    expect(url.searchParams.get('code_challenge')).toBe(await s256(pending.code_verifier));
    expect(url.searchParams.get('dpop_jkt')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(pendingKeys()).toEqual([`${PENDING_PREFIX}${pending.state}`]);
  });

  it('a server that does not offer PAR is not pushed to', async () => {
    const { url } = await startSignIn(input({ server: DPOP_SERVER }), runtime);
    expect(requests).toHaveLength(0);
    expect(url.searchParams.has('state')).toBe(true);
  });

  it.each([
    ['off', true, 'CONFIG_INVALID'],
    ['off', false, undefined],
    ['auto', true, PAR_ENDPOINT],
    ['auto', false, PAR_ENDPOINT],
  ] as const)('parEndpoint: setting %s, server requires PAR: %s → %s', (par, required, expected) => {
    const endpoints = { ...PAR_SERVER, require_pushed_authorization_requests: required };
    if (expected === 'CONFIG_INVALID') {
      expect(() => parEndpoint(endpoints, par)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
      expect(() => parEndpoint(endpoints, par)).toThrow(
        expect.objectContaining({ details: { variable: 'PUBLIC_FENTU_PAR' } }),
      );
    } else expect(parEndpoint(endpoints, par)).toBe(expected);
  });

  it('a server that requires PAR while the setting is off → CONFIG_INVALID, nothing sent, an earlier attempt left alone', async () => {
    const earlier = await startSignIn(input({ server: PAR_SERVER }), runtime);
    const records = new Map(store.data);
    requests.length = 0;
    const strict: ServerEndpoints = { ...PAR_SERVER, require_pushed_authorization_requests: true };

    const err = await rejectionOf(startSignIn(input({ server: strict, par: 'off' }), runtime));

    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.details.variable).toBe('PUBLIC_FENTU_PAR');
    expect(requests).toHaveLength(0);
    expect(store.data).toEqual(records);
    expect(pendingKeys()).toEqual([`${PENDING_PREFIX}${earlier.pending.state}`]);
  });

  const faults: { name: string; respond: Responder; code: FieldpassErrorCode; details?: Record<string, unknown> }[] = [
    {
      name: '400 invalid_request',
      respond: () => jsonResponse({ error: 'invalid_request', error_description: 'redirect_uri not allowed' }, 400),
      code: 'SIGN_IN_REJECTED',
      details: { status: 400, error: 'invalid_request', description: 'redirect_uri not allowed' },
    },
    {
      name: '400 invalid_scope',
      respond: () => jsonResponse({ error: 'invalid_scope' }, 400),
      code: 'SIGN_IN_REJECTED',
      details: { status: 400, error: 'invalid_scope' },
    },
    {
      name: '401 invalid_client',
      respond: () => jsonResponse({ error: 'invalid_client' }, 401),
      code: 'SIGN_IN_REJECTED',
      details: { status: 401, error: 'invalid_client' },
    },
    {
      name: '500 with an HTML body',
      respond: () => new Response('<h1>Oops</h1>', { status: 500, headers: { 'content-type': 'text/html' } }),
      code: 'SERVER_ERROR',
      details: { status: 500 },
    },
    {
      name: '503 temporarily_unavailable with Retry-After',
      respond: () => jsonResponse({ error: 'temporarily_unavailable' }, 503, { 'retry-after': '30' }),
      code: 'SERVER_ERROR',
      details: { status: 503, retryAt: expect.any(Number) },
    },
    {
      name: '429 with Retry-After',
      respond: () => jsonResponse({ error: 'slow_down' }, 429, { 'retry-after': '10' }),
      code: 'RATE_LIMITED',
      details: { status: 429 },
    },
    {
      name: 'fetch rejects with a TypeError (unreachable or CORS)',
      respond: () => {
        throw new TypeError('Failed to fetch');
      },
      code: 'NETWORK',
      details: { url: PAR_ENDPOINT },
    },
    {
      name: '201 without request_uri',
      respond: () => jsonResponse({ expires_in: 60 }, 201),
      code: 'TOKEN_RESPONSE_INVALID',
    },
    {
      name: '200 instead of 201',
      respond: () => jsonResponse({ request_uri: REQUEST_URI, expires_in: 60 }, 200),
      code: 'TOKEN_RESPONSE_INVALID',
    },
  ];

  it.each(faults)('$name → $code; one request, no attempt or key of its own stored', async (fault) => {
    respond = fault.respond;
    const earlier = await startSignIn(input({ server: DPOP_SERVER }), runtime);

    const err = await rejectionOf(startSignIn(input({ server: PAR_SERVER }), runtime));

    expect(err.code).toBe(fault.code);
    if (fault.details) expect(err.details).toMatchObject(fault.details);
    expect(requests.map((r) => r.url)).toEqual([PAR_ENDPOINT]);
    // Nothing a callback could finish: the new attempt was never stored, and starting it voided
    // the earlier one, as any new attempt does. Its own DPoP key is gone too.
    expect([...store.data.keys()]).toEqual([]);
    expect(store.data.has(attemptKeyName(earlier.pending.state))).toBe(false);
    expect(changes).toEqual([]);
  });

  it('a request that outlives the timeout → TIMEOUT, nothing stored', async () => {
    runtime = { ...runtime, timeoutMs: 20 };
    respond = () => new Promise<Response>(() => undefined);
    const err = await rejectionOf(startSignIn(input({ server: PAR_SERVER }), runtime));
    expect(err.code).toBe('TIMEOUT');
    expect(requests).toHaveLength(1);
    expect(store.data.size).toBe(0);
  });

  it('a refused push during an incremental sign-in keeps the session and the key its tokens are bound to', async () => {
    const first = await startSignIn(input({ server: PAR_SERVER }), runtime);
    await completeSignIn(
      callbackUrl([
        ['code', 'code-1'],
        ['state', first.pending.state],
        ['iss', server.issuer],
      ]),
      runtime,
    );
    const session = store.data.get(SESSION_KEY);
    const key = store.data.get(DPOP_KEY);
    respond = () => jsonResponse({ error: 'invalid_scope' }, 400);

    const err = await rejectionOf(
      startSignIn(input({ server: PAR_SERVER, scopes: ['read:work-orders', 'admin'] }), runtime),
    );

    expect(err.code).toBe('SIGN_IN_REJECTED');
    // Pushed with a proof by the key the session's tokens are bound to.
    const proof = await proofOf(requests.at(-1)!);
    expect(await jwkThumbprint(proof.header.jwk!)).toBe(await keyPairThumbprint(key as CryptoKeyPair));
    expect([...store.data.keys()].sort()).toEqual([DPOP_KEY, SESSION_KEY]);
    expect(store.data.get(SESSION_KEY)).toEqual(session);
    expect(store.data.get(DPOP_KEY)).toBe(key);
  });
});
