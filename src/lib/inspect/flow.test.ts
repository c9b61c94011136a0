import * as oauth from 'oauth4webapi';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  DPOP_SERVER,
  TEST_SERVER,
  base64url,
  fakeFetch,
  formOf,
  jsonResponse,
  jwkThumbprint,
  keyPairThumbprint,
  proofOf,
  resourceNonceError,
  s256,
  tokenNonceError,
  type RecordedRequest,
  type Responder,
} from '../oauth/fake-fetch.test-util.js';
import type { CoreRuntime } from '../oauth/runtime.js';
import { createMemoryStore } from '../base/memory-store.js';
import {
  discoverServer,
  exchangeCode,
  introspectInspected,
  pushInspection,
  refreshInspected,
  revokeInspected,
  userInfoInspected,
} from './flow.js';
import {
  INSPECT_KEY_PREFIX,
  INSPECT_PREFIX,
  startInspection,
  type InspectedServer,
  type InspectionAttempt,
} from './attempt.js';
import { errorOf } from './step.js';
import { readCallback, type ReceivedCallback } from './callback.js';
import {
  recordingFetch,
  StepProblemError,
  connectProblem,
  type ConnectPolicy,
  type RecordedExchange,
} from './recording.js';
import type { Profile } from './profile-model.js';

const REDIRECT_URI = 'http://127.0.0.1:5173/inspect/callback';
const ISSUER = TEST_SERVER.issuer;
const CLIENT_ID = 'inspector-client';

/** TEST_SERVER (RFC 9207 `iss` promised) with every endpoint the inspector can call. */
const SERVER = {
  ...TEST_SERVER,
  introspection_endpoint: 'https://as.example/introspect',
  userinfo_endpoint: 'https://as.example/userinfo',
} satisfies InspectedServer;
const DPOP: InspectedServer = {
  ...SERVER,
  dpop_signing_alg_values_supported: DPOP_SERVER.dpop_signing_alg_values_supported,
};

// Canaries: long and distinct, so neither a masked head/tail nor chance can make a search pass or fail.
const CODE = 'code-canary-5d1c0e7b9a2f4e6a8c3b1d0f';
const ACCESS_TOKEN = 'at-canary-8e2f6a4c1b9d7e5f3a0c2b4d6e';
const REFRESH_TOKEN = 'rt-canary-3b7d9f1e5a2c8e4b6d0f9a1c3e';
const ID_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJpZC10b2tlbi1jYW5hcnkifQ.c2lnLWNhbmFyeS03YTNm';
const CLIENT_SECRET = 'cs-canary-0a9b8c7d6e5f4a3b2c1d0e9f8a';
const PROOF = 'eyJ0eXAiOiJkcG9wK2p3dCJ9.eyJqdGkiOiJwcm9vZi1jYW5hcnkifQ.cHJvb2YtY2FuYXJ5LTQ2ZmE';

// The names readCallback gives its checks, in the order it makes them.
const STATE_ONCE = 'state is present, once';
const STATE_KNOWN = 'state matches an attempt started here';
const FRESH = 'the attempt is fresh';
const ISS = 'iss names the expected server (RFC 9207)';
const NO_ERROR = 'no error in the answer';
const ONE_CODE = 'exactly one code';
const LIBRARY = 'oauth4webapi validateAuthResponse';

const TEN_MINUTES = 10 * 60 * 1000;

const profileOf = (over: Partial<Profile> = {}): Profile => ({
  id: 'p1',
  name: 'Inspected',
  kind: 'authorization_code',
  template: 'custom',
  issuer: ISSUER,
  clientId: CLIENT_ID,
  redirectUri: REDIRECT_URI,
  registeredRedirectUris: [REDIRECT_URI],
  scopes: ['read', 'write'],
  clientAuth: 'none',
  ...over,
});

/** A callback URL with these parameters in this order; repeats allowed. */
function callbackUrl(params: [string, string][]): string {
  const url = new URL(REDIRECT_URI);
  for (const [key, value] of params) url.searchParams.append(key, value);
  return url.href;
}

let store: ReturnType<typeof createMemoryStore>;
let runtime: CoreRuntime;
let requests: RecordedRequest[];
let respond: Responder;

beforeEach(() => {
  store = createMemoryStore();
  runtime = { store };
  respond = (request) => {
    throw new Error(`unexpected request to ${request.url}`);
  };
  // recordingFetch calls the global fetch: the fake server stands in for it.
  const fake = fakeFetch((request, index) => respond(request, index));
  requests = fake.requests;
  vi.stubGlobal('fetch', fake.fetch);
});

afterEach(() => {
  vi.unstubAllGlobals();
});

/** Answers in turn, one responder per request; a request past the end fails the test's flow. */
function answer(...responders: (() => Response)[]): void {
  respond = (request, index) => {
    const next = responders[index];
    if (!next) throw new Error(`unexpected request #${index + 1} to ${request.url}`);
    return next();
  };
}

/** The exchanges as the page shows them: everything but `form`, kept raw on purpose for the curl builder. */
function shown(exchanges: RecordedExchange[]): string {
  return JSON.stringify(exchanges.map((exchange) => ({ ...exchange, form: undefined })));
}

/** Fails when any secret, or the middle that maskToken never shows, appears in `text`. */
function expectNoSecret(text: string, secrets: Record<string, string>): void {
  for (const [name, value] of Object.entries(secrets)) {
    expect(value.length, `${name} is long enough to search for`).toBeGreaterThanOrEqual(20);
    expect(text.includes(value), `${name} appears in full`).toBe(false);
    expect(text.includes(value.slice(6, -4)), `the middle of ${name} appears`).toBe(false);
  }
}

/** `k=v&…` as recordingFetch writes a masked form (values not re-encoded), split into fields. */
function fieldsOf(body: string | undefined): Record<string, string> {
  expect(body).toEqual(expect.any(String));
  return Object.fromEntries(
    body!.split('&').map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  );
}

/** The rejection of a promise, whatever it is; fails the test if the promise resolves. */
async function thrownBy(work: () => unknown): Promise<unknown> {
  try {
    await work();
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

async function start(server: InspectedServer = SERVER, profile: Partial<Profile> = {}) {
  return startInspection(profileOf(profile), server, runtime);
}

const goodCallback = (attempt: InspectionAttempt, code = CODE) =>
  callbackUrl([
    ['code', code],
    ['state', attempt.state],
    ['iss', attempt.server.issuer!],
  ]);

/** A started attempt whose good callback has been read, ready for the code exchange. */
async function validatedAttempt(server: InspectedServer = SERVER, profile: Partial<Profile> = {}) {
  const started = await start(server, profile);
  const received = await readCallback(goodCallback(started.attempt), runtime);
  expect(received.validated?.get('code')).toBe(CODE);
  return { ...started, attempt: received.attempt!, validated: received.validated! };
}

const tokenResponse = (over: Record<string, unknown> = {}) =>
  jsonResponse({
    access_token: ACCESS_TOKEN,
    token_type: 'Bearer',
    expires_in: 300,
    refresh_token: REFRESH_TOKEN,
    scope: 'read write',
    ...over,
  });

describe('recordingFetch', () => {
  async function send(
    over: Partial<oauth.CustomFetchOptions<string, unknown>>,
    log: RecordedExchange[] = [],
    label = 'Step',
  ) {
    const response = await recordingFetch(log, label)('https://as.example/token', {
      method: 'POST',
      headers: {},
      body: undefined,
      redirect: 'manual',
      ...over,
    });
    return { log, response };
  }

  it.each([
    ['authorization', `Bearer ${ACCESS_TOKEN}`, ACCESS_TOKEN, 'Bearer '],
    ['Authorization', `DPoP ${ACCESS_TOKEN}`, ACCESS_TOKEN, 'DPoP '],
    ['dpop', PROOF, PROOF, ''],
    ['DPoP', PROOF, PROOF, ''],
  ])(
    '#60 masks the %s request header, keeps the scheme, and still sends it raw',
    async (name, value, secret, scheme) => {
      answer(() => new Response(null, { status: 204 }));

      const { log } = await send({ method: 'GET', headers: { [name]: value, accept: 'application/json' } });

      expect(requests[0].headers[name.toLowerCase()]).toBe(value);
      const masked = log[0].request.headers[name];
      expect(masked.startsWith(scheme)).toBe(true);
      expect(masked).toMatch(/\(\d+ chars(, JWT)?\)/);
      expect(log[0].request.headers.accept).toBe('application/json');
      expectNoSecret(shown(log), { secret });
    },
  );

  it('#60 #64 masks every credential form field in request.body, keeps the others, and keeps `form` raw', async () => {
    const secrets = {
      code: CODE,
      code_verifier: 'verifier-canary-1f2e3d4c5b6a7988a7b6c5d4e3f2a1b0c9d8e7f6a5b',
      refresh_token: REFRESH_TOKEN,
      token: ACCESS_TOKEN,
      client_secret: CLIENT_SECRET,
    };
    const plain = { grant_type: 'authorization_code', client_id: CLIENT_ID, redirect_uri: REDIRECT_URI };
    answer(() => tokenResponse());

    const { log } = await send({
      headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' },
      body: new URLSearchParams({ ...plain, ...secrets }),
    });

    expect(Object.fromEntries(requests[0].form!)).toEqual({ ...plain, ...secrets });
    const fields = fieldsOf(log[0].request.body);
    expect(Object.keys(fields).sort()).toEqual(Object.keys({ ...plain, ...secrets }).sort());
    for (const [name, value] of Object.entries(plain)) expect(fields[name], name).toBe(value);
    for (const [name, value] of Object.entries(secrets)) {
      expect(fields[name], name).not.toBe(value);
      expect(fields[name], name).toMatch(/\(\d+ chars\)/);
    }
    expect(log[0].form).toEqual({ ...plain, ...secrets });
    expectNoSecret(shown(log), secrets);
  });

  it('#60 masks access_token, refresh_token and id_token in a JSON response, and hands the raw response on', async () => {
    answer(() => tokenResponse({ id_token: ID_TOKEN }));

    const { log, response } = await send({});

    const body = JSON.parse(log[0].response!.body) as Record<string, unknown>;
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 300, scope: 'read write' });
    for (const name of ['access_token', 'refresh_token', 'id_token']) expect(body[name], name).toMatch(/…\(\d+ chars/);
    expect(log[0].response!.status).toBe(200);
    expect(log[0].response!.headers['content-type']).toBe('application/json');
    expectNoSecret(shown(log), { ACCESS_TOKEN, REFRESH_TOKEN, ID_TOKEN });
    // The recorder read a clone: oauth4webapi still gets the real body.
    expect(await response.json()).toMatchObject({
      access_token: ACCESS_TOKEN,
      refresh_token: REFRESH_TOKEN,
      id_token: ID_TOKEN,
    });
  });

  it('#60 masks the credentials of a form-encoded response body', async () => {
    answer(
      () =>
        new Response(`access_token=${ACCESS_TOKEN}&token_type=bearer&refresh_token=${REFRESH_TOKEN}&scope=read`, {
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        }),
    );

    const { log } = await send({});

    const fields = fieldsOf(log[0].response!.body);
    expect(fields.token_type).toBe('bearer');
    expect(fields.scope).toBe('read');
    expect(fields.access_token).toMatch(/\(\d+ chars\)/);
    expect(fields.refresh_token).toMatch(/\(\d+ chars\)/);
    expectNoSecret(shown(log), { ACCESS_TOKEN, REFRESH_TOKEN });
  });

  it.each([
    ['plain text', () => new Response('x'.repeat(100_000), { status: 500 })],
    ['a JSON token response', () => tokenResponse({ padding: 'p'.repeat(100_000) })],
  ])('caps a huge body (%s) at 32 768 characters', async (_kind, response) => {
    answer(response);

    const { log } = await send({});

    expect(log[0].response!.body.length).toBe(32_768);
    expectNoSecret(shown(log), { ACCESS_TOKEN, REFRESH_TOKEN });
  });

  it.each([
    [
      'a TypeError, when the no-cors probe gets an answer',
      () => new TypeError('Failed to fetch'),
      true,
      'cors_blocked',
    ],
    ['a TypeError, when the no-cors probe gets none', () => new TypeError('Failed to fetch'), false, 'network_error'],
    ['a timeout', () => new DOMException('The operation timed out', 'TimeoutError'), undefined, 'timeout'],
    ['an abort', () => new DOMException('The operation was aborted', 'AbortError'), undefined, 'timeout'],
  ])(
    'records %s as a failure with no response, and stops the step with that problem',
    async (_kind, error, probeAnswers, failure) => {
      const thrown = error();
      respond = (_request, index) => {
        if (index === 0 || !probeAnswers) throw index === 0 ? thrown : new TypeError('Failed to fetch');
        return new Response(null, { status: 405 });
      };

      const log: RecordedExchange[] = [];
      const err = await thrownBy(() => send({ body: new URLSearchParams({ code: CODE }) }, log));

      expect(err).toBeInstanceOf(StepProblemError);
      expect((err as StepProblemError).problem).toMatchObject({ code: failure, endpoint: 'https://as.example/token' });
      expect((err as StepProblemError).cause).toBe(thrown);
      expect(log).toHaveLength(1);
      expect(log[0].failure).toBe(failure);
      expect(log[0].response).toBeUndefined();
      if (probeAnswers === undefined) {
        expect(requests).toHaveLength(1);
      } else {
        // The probe: the same URL, a GET with nothing in it, no code, no token.
        expect(requests).toHaveLength(2);
        expect(requests[1]).toEqual({
          url: 'https://as.example/token',
          method: 'GET',
          headers: {},
          body: undefined,
          form: undefined,
          mode: 'no-cors',
          credentials: 'omit',
        });
      }
    },
  );

  it('says what the browser could learn: an answer without this origin allowed, or nothing at all', async () => {
    const message = async (probe: () => Response) => {
      respond = (_request, index) => {
        if (index % 2 === 0) throw new TypeError('Failed to fetch');
        return probe();
      };
      return ((await thrownBy(() => send({}))) as StepProblemError).problem.message;
    };

    const cors = await message(() => new Response(null, { status: 405 }));
    expect(cors).toContain('Something answers at https://as.example/token, but the browser did not let this page read');
    expect(cors).toContain('refused the browser’s preflight');
    expect(cors).not.toContain('answered, but');
    expect(cors).not.toContain('code may have been used');
    const unreachable = await message(() => {
      throw new TypeError('Failed to fetch');
    });
    expect(unreachable).toContain('Nothing answered at https://as.example/token');
    expect(unreachable).not.toContain('CORS');
  });

  it('says a code exchange that may have reached the server may have used the code', async () => {
    const code = new URLSearchParams({ grant_type: 'authorization_code', code: CODE });
    const failWith = async (error: Error, probe: boolean, body = code) => {
      respond = (_request, index) => {
        if (index === 0 || !probe) throw index === 0 ? error : new TypeError('Failed to fetch');
        return new Response(null, { status: 405 });
      };
      requests.length = 0;
      return ((await thrownBy(() => send({ body }))) as StepProblemError).problem.message;
    };

    const corsBlocked = await failWith(new TypeError('Failed to fetch'), true);
    expect(corsBlocked).toContain('the code may have been used; start a new sign-in');
    const timedOut = await failWith(new DOMException('The operation timed out', 'TimeoutError'), false);
    expect(timedOut).toContain('the code may have been used; start a new sign-in');
    const refresh = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: REFRESH_TOKEN });
    const other = await failWith(new TypeError('Failed to fetch'), true, refresh);
    expect(other).not.toContain('code may have been used');
  });

  describe('with the browser reporting connect-src violations', () => {
    const page = new EventTarget();
    beforeEach(() => vi.stubGlobal('document', page));
    const violation = (blockedURI: string, effectiveDirective = 'connect-src') =>
      Object.assign(new Event('securitypolicyviolation'), { blockedURI, effectiveDirective });

    it('calls a request the browser blocked csp_blocked, and sends no probe after it', async () => {
      respond = () => {
        page.dispatchEvent(violation('https://as.example/token'));
        throw new TypeError('Failed to fetch');
      };

      const problem = ((await thrownBy(() => send({}))) as StepProblemError).problem;

      expect(problem.code).toBe('csp_blocked');
      expect(problem.message).toContain('Add https://as.example to INSPECT_CONNECT_ORIGINS');
      expect(requests).toHaveLength(1);
    });

    it.each([
      ['another origin’s connect-src violation', violation('https://elsewhere.example/x')],
      ['a violation of another directive', violation('https://as.example/token', 'img-src')],
    ])('does not count %s as this request being blocked', async (_kind, event) => {
      respond = (_request, index) => {
        if (index > 0) return new Response(null, { status: 405 });
        page.dispatchEvent(event);
        throw new TypeError('Failed to fetch');
      };

      const problem = ((await thrownBy(() => send({}))) as StepProblemError).problem;

      expect(problem.code).toBe('cors_blocked');
      expect(requests).toHaveLength(2);
    });
  });

  it('labels a repeated step as such', async () => {
    answer(
      () => new Response(null, { status: 204 }),
      () => new Response(null, { status: 204 }),
    );
    const log: RecordedExchange[] = [];

    await send({}, log, 'Token request');
    await send({}, log, 'Token request');

    expect(log.map((e) => e.label)).toEqual(['Token request', 'Token request (again)']);
  });
});

describe('the recorded exchanges of a whole inspection', () => {
  it('#60 #64 hold no code, verifier, token or DPoP proof anywhere but `form`', async () => {
    const rotated = { access_token: `${ACCESS_TOKEN}-2`, refresh_token: `${REFRESH_TOKEN}-2` };
    answer(
      () => tokenNonceError('nonce-1'),
      () => tokenResponse({ token_type: 'DPoP' }),
      () => tokenResponse({ token_type: 'DPoP', ...rotated }),
      () => jsonResponse({ active: true, client_id: CLIENT_ID, scope: 'read write' }),
      () => jsonResponse({ sub: 'user-1' }),
      () => new Response(null, { status: 200 }),
    );
    const { attempt, validated } = await validatedAttempt(DPOP);

    const steps = [
      await exchangeCode(attempt, validated, runtime),
      await refreshInspected(attempt, REFRESH_TOKEN, runtime),
      await introspectInspected(attempt, rotated.access_token),
      await userInfoInspected(attempt, rotated.access_token, runtime),
      await revokeInspected(attempt, rotated.refresh_token, 'refresh_token'),
    ];

    expect(steps.map((s) => s.error)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    const exchanges = steps.flatMap((s) => s.exchanges);
    expect(exchanges.map((e) => e.response?.status)).toEqual([400, 200, 200, 200, 200, 200]);
    expect(requests).toHaveLength(6);
    const proofs = requests.map((r) => r.headers.dpop).filter((p): p is string => p !== undefined);
    expect(proofs).toHaveLength(4);
    expectNoSecret(shown(exchanges), {
      code: CODE,
      code_verifier: attempt.code_verifier,
      access_token: ACCESS_TOKEN,
      refresh_token: REFRESH_TOKEN,
      rotated_access_token: rotated.access_token,
      rotated_refresh_token: rotated.refresh_token,
      ...Object.fromEntries(proofs.map((proof, i) => [`dpop_proof_${i}`, proof])),
    });
    // `form` is the curl builder's raw input, by design.
    expect(exchanges[0].form).toMatchObject({ code: CODE, code_verifier: attempt.code_verifier });
  });
});

describe('errorOf', () => {
  it('gives a ResponseBodyError its OAuth error, description and status', async () => {
    const err = await thrownBy(() =>
      oauth.processRevocationResponse(jsonResponse({ error: 'invalid_client', error_description: 'who?' }, 401)),
    );
    expect(err).toBeInstanceOf(oauth.ResponseBodyError);

    expect(errorOf(err)).toMatchObject({ code: 'invalid_client', description: 'who?', status: 401 });
  });

  it.each([
    ['Bearer error="invalid_token", error_description="expired"', 'invalid_token', 'expired'],
    ['Bearer error="insufficient_scope", scope="profile"', 'insufficient_scope', undefined],
    ['Bearer realm="api"', 'invalid_token', undefined],
  ])('gives a WWWAuthenticateChallengeError (%s) the challenge error', async (challenge, code, description) => {
    const err = await thrownBy(() =>
      oauth.processUserInfoResponse(
        SERVER,
        { client_id: CLIENT_ID },
        oauth.skipSubjectCheck,
        new Response(null, { status: 401, headers: { 'www-authenticate': challenge } }),
      ),
    );
    expect(err).toBeInstanceOf(oauth.WWWAuthenticateChallengeError);

    const error = errorOf(err);
    expect(error).toMatchObject({ code, status: 401 });
    expect(error.description).toBe(description);
  });

  it.each([
    [{ error: 'access_denied', error_description: 'The user said no' }, 'access_denied', 'The user said no'],
    [{ error: 'temporarily_unavailable' }, 'temporarily_unavailable', undefined],
  ])('gives an AuthorizationResponseError its error', (params, code, description) => {
    let err: unknown;
    try {
      oauth.validateAuthResponse(
        SERVER,
        { client_id: CLIENT_ID },
        new URLSearchParams({ ...params, state: 's', iss: ISSUER }),
        's',
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(oauth.AuthorizationResponseError);

    const error = errorOf(err);
    expect(error.code).toBe(code);
    expect(error.description).toBe(description);
  });

  it('calls anything else invalid_response, with the status of the response at fault', async () => {
    const err = await thrownBy(() =>
      oauth.processDiscoveryResponse(new URL(ISSUER), new Response('missing', { status: 404 })),
    );

    expect(errorOf(err)).toMatchObject({ code: 'invalid_response', status: 404 });
    expect(errorOf('a string')).toMatchObject({ code: 'invalid_response', message: 'a string' });
  });
});

describe('connectProblem', () => {
  const CONNECT: ConnectPolicy = {
    appOrigin: 'http://127.0.0.1:5173',
    origins: ['http://127.0.0.1:9000', 'https://login.example'],
  };

  it.each([
    ['the page’s own origin', 'http://127.0.0.1:5173/api/x', undefined],
    ['a listed origin', 'http://127.0.0.1:9000/token', undefined],
    ['a listed http origin over https (CSP allows the upgrade)', 'https://127.0.0.1:9000/token', undefined],
    ['another port', 'http://127.0.0.1:9001/token', 'http://127.0.0.1:9001'],
    ['a listed https origin over http', 'http://login.example/token', 'http://login.example'],
    ['a subdomain of a listed origin', 'https://evil.login.example/token', 'https://evil.login.example'],
  ])('%s', (_case, endpoint, blocked) => {
    const problem = connectProblem(endpoint, CONNECT);

    if (blocked === undefined) expect(problem).toBeUndefined();
    else expect(problem?.message).toContain(`Add ${blocked} to INSPECT_CONNECT_ORIGINS`);
  });

  it('finds nothing to block without a known policy', () => {
    expect(connectProblem('https://anywhere.example/token', undefined)).toBeUndefined();
  });
});

describe('discoverServer', () => {
  const OIDC = 'https://as.example/.well-known/openid-configuration';
  const OAUTH2 = 'https://as.example/.well-known/oauth-authorization-server';
  const METADATA = {
    issuer: ISSUER,
    authorization_endpoint: 'https://as.example/authorize',
    token_endpoint: 'https://as.example/token',
    revocation_endpoint: 'https://as.example/revoke',
    authorization_response_iss_parameter_supported: true,
  };

  /** A server that answers these documents by URL and 404 to everything else. */
  function documents(byUrl: Record<string, () => Response>): void {
    respond = (request) => byUrl[request.url]?.() ?? new Response('not found', { status: 404 });
  }

  it.each([undefined, '', '  '])(
    'wants the issuer or the endpoints (issuer %j, none by hand): a form problem, no error, no request',
    async (issuer) => {
      const result = await discoverServer(profileOf({ issuer }));

      expect(result.problem).toMatchObject({ code: 'form', field: 'issuer' });
      expect(result.problem?.message).toContain('Enter the issuer');
      expect(result.error).toBeUndefined();
      expect(result.value).toBeUndefined();
      expect(result.exchanges).toEqual([]);
      expect(requests).toHaveLength(0);
    },
  );

  it('takes the authorization and token endpoints by hand without an issuer, and reads nothing', async () => {
    const endpoints = {
      authorization_endpoint: 'https://as.example/authorize',
      token_endpoint: 'https://as.example/token',
      revocation_endpoint: 'https://as.example/revoke',
      introspection_endpoint: '',
    };

    const result = await discoverServer(profileOf({ issuer: '', endpoints }));

    expect(result.problem).toBeUndefined();
    expect(result.error).toBeUndefined();
    expect(result.value).toEqual({
      authorization_endpoint: 'https://as.example/authorize',
      token_endpoint: 'https://as.example/token',
      revocation_endpoint: 'https://as.example/revoke',
      issuer: undefined,
    });
    expect(requests).toHaveLength(0);
  });

  it.each([
    ['only the authorization endpoint', { authorization_endpoint: 'https://as.example/authorize' }, 'token_endpoint'],
    ['only the token endpoint', { token_endpoint: 'https://as.example/token' }, 'authorization_endpoint'],
  ])('without an issuer, %s: a form problem naming the other', async (_case, endpoints, missing) => {
    const result = await discoverServer(profileOf({ issuer: undefined, endpoints }));

    expect(result.problem).toMatchObject({ code: 'form', field: missing });
    expect(result.problem?.message).toContain(`Enter the ${missing}`);
    expect(requests).toHaveLength(0);
  });

  it('wants the issuer for openid, even with the endpoints by hand: the ID token’s iss is compared with it', async () => {
    const result = await discoverServer(
      profileOf({
        issuer: '',
        scopes: ['openid', 'read'],
        endpoints: {
          authorization_endpoint: 'https://as.example/authorize',
          token_endpoint: 'https://as.example/token',
        },
      }),
    );

    expect(result.problem).toMatchObject({ code: 'form', field: 'issuer' });
    expect(result.problem?.message).toContain('openid');
    expect(requests).toHaveLength(0);
  });

  it.each([
    [
      'a malformed token endpoint',
      { authorization_endpoint: 'https://as.example/authorize', token_endpoint: 'as.example/token' },
      'token_endpoint',
    ],
    [
      'a relative authorization endpoint',
      { authorization_endpoint: '/authorize', token_endpoint: 'https://as.example/token' },
      'authorization_endpoint',
    ],
  ])('%s: a form problem naming the field, no request', async (_case, endpoints, field) => {
    const result = await discoverServer(profileOf({ issuer: undefined, endpoints }));

    expect(result.problem).toMatchObject({ code: 'form', field });
    expect(result.error).toBeUndefined();
    expect(requests).toHaveLength(0);
  });

  it('uses OpenID Connect Discovery first, recorded', async () => {
    documents({ [OIDC]: () => jsonResponse(METADATA) });

    const result = await discoverServer(profileOf());

    expect(result.error).toBeUndefined();
    expect(result.value).toEqual(METADATA);
    expect(requests.map((r) => [r.method, r.url])).toEqual([['GET', OIDC]]);
    expect(result.exchanges.map((e) => [e.label, e.request.url, e.response?.status])).toEqual([
      ['Discovery', OIDC, 200],
    ]);
  });

  it('falls back to RFC 8414 metadata when OpenID Connect Discovery fails, both recorded', async () => {
    documents({ [OAUTH2]: () => jsonResponse(METADATA) });

    const result = await discoverServer(profileOf());

    expect(result.value).toEqual(METADATA);
    expect(requests.map((r) => r.url)).toEqual([OIDC, OAUTH2]);
    expect(result.exchanges.map((e) => [e.label, e.request.url, e.response?.status])).toEqual([
      ['Discovery', OIDC, 404],
      ['Discovery (again)', OAUTH2, 200],
    ]);
  });

  it('fails when neither document is there', async () => {
    documents({});

    const result = await discoverServer(profileOf());

    expect(result.value).toBeUndefined();
    expect(result.error).toMatchObject({ code: 'invalid_response', status: 404 });
    expect(result.exchanges).toHaveLength(2);
  });

  it('reports network_error, not a server error, when nothing answered any discovery request', async () => {
    respond = () => {
      throw new TypeError('Failed to fetch');
    };

    const result = await discoverServer(profileOf());

    expect(result.error).toBeUndefined();
    expect(result.problem).toMatchObject({ code: 'network_error', endpoint: OAUTH2 });
    expect(result.exchanges.map((e) => e.failure)).toEqual(['network_error', 'network_error']);
  });

  it('reports cors_blocked when the documents did not reach the page but something answered', async () => {
    respond = (request) => {
      if (request.method === 'GET' && Object.keys(request.headers).length === 0)
        return new Response('', { status: 200 });
      throw new TypeError('Failed to fetch');
    };

    const result = await discoverServer(profileOf());

    expect(result.error).toBeUndefined();
    expect(result.problem).toMatchObject({ code: 'cors_blocked', endpoint: OAUTH2 });
    expect(result.problem?.message).toContain(
      `Something answers at ${OAUTH2}, but the browser did not let this page read`,
    );
  });

  describe('with the page’s connect-src known', () => {
    const CONNECT: ConnectPolicy = { appOrigin: 'http://127.0.0.1:5173', origins: ['https://as.example'] };

    it('reads the metadata of an issuer it allows', async () => {
      documents({ [OIDC]: () => jsonResponse(METADATA) });

      const result = await discoverServer(profileOf(), CONNECT);

      expect(result.value?.token_endpoint).toBe(METADATA.token_endpoint);
    });

    it('sends nothing to an issuer outside it, and names INSPECT_CONNECT_ORIGINS and the origin to add', async () => {
      const result = await discoverServer(profileOf({ issuer: 'https://login.other.example/tenant' }), CONNECT);

      expect(result.problem).toMatchObject({ code: 'csp_blocked', field: 'INSPECT_CONNECT_ORIGINS' });
      expect(result.problem?.message).toContain('Add https://login.other.example to INSPECT_CONNECT_ORIGINS');
      expect(result.problem?.message).toContain('start-up');
      expect(result.error).toBeUndefined();
      expect(result.exchanges).toEqual([]);
      expect(requests).toHaveLength(0);
    });
  });

  it('refuses metadata that names another issuer', async () => {
    documents({
      [OIDC]: () => jsonResponse({ ...METADATA, issuer: 'https://evil.example' }),
      [OAUTH2]: () => jsonResponse({ ...METADATA, issuer: 'https://evil.example' }),
    });

    const result = await discoverServer(profileOf());

    expect(result.value).toBeUndefined();
    expect(result.error?.code).toBe('invalid_response');
  });

  it('lets endpoints entered by hand win over discovered ones (empty ones ignored)', async () => {
    documents({ [OIDC]: () => jsonResponse(METADATA) });

    const result = await discoverServer(
      profileOf({
        endpoints: {
          token_endpoint: 'https://gateway.example/token',
          userinfo_endpoint: 'https://gateway.example/userinfo',
          revocation_endpoint: '',
        },
      }),
    );

    expect(result.value).toEqual({
      ...METADATA,
      token_endpoint: 'https://gateway.example/token',
      userinfo_endpoint: 'https://gateway.example/userinfo',
    });
  });

  it('does not discover when the authorization endpoint is entered by hand', async () => {
    const endpoints = {
      authorization_endpoint: 'https://login.example/authorize',
      token_endpoint: 'https://login.example/token',
    };

    const result = await discoverServer(profileOf({ endpoints }));

    expect(result.value).toEqual({ issuer: ISSUER, ...endpoints });
    expect(requests).toHaveLength(0);
  });

  it('discovers a loopback issuer over plain http', async () => {
    const issuer = 'http://127.0.0.1:9000';
    const metadata = {
      issuer,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
    };
    documents({ [`${issuer}/.well-known/openid-configuration`]: () => jsonResponse(metadata) });

    const result = await discoverServer(profileOf({ issuer }));

    expect(result.error).toBeUndefined();
    expect(result.value).toEqual(metadata);
  });

  it.each([
    ['an http issuer', { issuer: 'http://as.example' }],
    ['an http issuer that starts like loopback', { issuer: 'http://127.0.0.1.evil.example' }],
    ['an http issuer named localhost-something', { issuer: 'http://localhost.evil.example' }],
    [
      'an http token endpoint entered by hand',
      {
        endpoints: {
          authorization_endpoint: 'https://as.example/authorize',
          token_endpoint: 'http://as.example/token',
        },
      },
    ],
    [
      'an http authorization endpoint entered by hand',
      {
        endpoints: {
          authorization_endpoint: 'http://as.example/authorize',
          token_endpoint: 'https://as.example/token',
        },
      },
    ],
    [
      'an http userinfo endpoint entered by hand',
      {
        endpoints: {
          authorization_endpoint: 'https://as.example/authorize',
          token_endpoint: 'https://as.example/token',
          userinfo_endpoint: 'http://as.example/userinfo',
        },
      },
    ],
  ])('refuses %s on a host that is not loopback: a form problem, no request', async (_case, over: Partial<Profile>) => {
    const result = await discoverServer(profileOf(over));

    expect(result.problem?.code).toBe('form');
    expect(result.problem?.message).toContain('must use https://');
    expect(result.error).toBeUndefined();
    expect(result.value).toBeUndefined();
    expect(requests).toHaveLength(0);
  });

  it.each(['token_endpoint', 'authorization_endpoint', 'revocation_endpoint', 'pushed_authorization_request_endpoint'])(
    'refuses discovered metadata with a plain-http %s',
    async (name) => {
      documents({ [OIDC]: () => jsonResponse({ ...METADATA, [name]: `http://as.example/${name}` }) });

      const result = await discoverServer(profileOf());

      expect(result.error).toBeDefined();
      expect(result.value).toBeUndefined();
    },
  );

  it.each(['token_endpoint', 'authorization_endpoint'])(
    'says to enter the %s by hand when the metadata has none',
    async (name) => {
      const metadata: Record<string, unknown> = { ...METADATA };
      delete metadata[name];
      documents({ [OIDC]: () => jsonResponse(metadata) });

      const result = await discoverServer(profileOf());

      expect(result.problem).toMatchObject({ code: 'form', field: name });
      expect(result.error).toBeUndefined();
      expect(result.value).toBeUndefined();
      expect(result.exchanges.map((e) => e.response?.status)).toEqual([200]);
    },
  );
});

describe('startInspection', () => {
  it('#10 builds the authorization request: code, client, exact redirect_uri, scope, state, S256 PKCE', async () => {
    const { url, attempt, parameters } = await start();

    expect(url.origin + url.pathname).toBe(SERVER.authorization_endpoint);
    expect([...url.searchParams.keys()]).toEqual([
      'response_type',
      'client_id',
      'redirect_uri',
      'scope',
      'state',
      'code_challenge',
      'code_challenge_method',
    ]);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: CLIENT_ID,
      redirect_uri: REDIRECT_URI,
      scope: 'read write',
      state: attempt.state,
      code_challenge: attempt.code_challenge,
      code_challenge_method: 'S256',
    });
    expect(attempt.state).toMatch(/^[A-Za-z0-9_-]{22,}$/);
    expect(attempt.code_verifier).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
    // Computed with WebCrypto here, not by oauth4webapi.
    expect(url.searchParams.get('code_challenge')).toBe(await s256(attempt.code_verifier));
    expect(url.href).not.toContain(attempt.code_verifier);
    expect(parameters.map((p) => [p.name, p.value])).toEqual([...url.searchParams]);
  });

  it.each([
    'http://127.0.0.1:5173/inspect/callback',
    'http://127.0.0.1:5173/inspect/callback/',
    'https://App.Example:443/inspect/callback?tab=1',
    'http://[::1]:5173/inspect/callback',
    'http://localhost:5173/inspect/callback#frag',
  ])(
    '#10 sends redirect_uri %s exactly as entered, and stores that string for the token request',
    async (redirectUri) => {
      const { url, attempt } = await start(SERVER, { redirectUri });

      expect(url.searchParams.getAll('redirect_uri')).toEqual([redirectUri]);
      expect(attempt.redirect_uri).toBe(redirectUri);
    },
  );

  it('refuses openid for a server with no issuer: a form problem, nothing stored', async () => {
    const byHand: InspectedServer = {
      authorization_endpoint: SERVER.authorization_endpoint,
      token_endpoint: SERVER.token_endpoint,
    };

    const err = await thrownBy(() => start(byHand, { issuer: undefined, scopes: ['openid', 'read'] }));

    expect(err).toBeInstanceOf(StepProblemError);
    expect((err as StepProblemError).problem).toMatchObject({ code: 'form', field: 'issuer' });
    expect(store.data.size).toBe(0);
  });

  it('sends no scope parameter when no scope is chosen', async () => {
    const { url } = await start(SERVER, { scopes: [] });

    expect(url.searchParams.has('scope')).toBe(false);
  });

  it.each([
    [['openid'], true],
    [['openid', 'profile'], true],
    [['read', 'openid'], true],
    [['read'], false],
    [['openidx', 'profile'], false],
    [[], false],
  ])('with scopes %j sends a nonce: %s', async (scopes, withNonce) => {
    const { url, attempt } = await start(SERVER, { scopes });

    if (withNonce) {
      expect(attempt.nonce).toMatch(/^[A-Za-z0-9_-]{22,}$/);
      expect(url.searchParams.getAll('nonce')).toEqual([attempt.nonce]);
    } else {
      expect(attempt.nonce).toBeUndefined();
      expect(url.searchParams.has('nonce')).toBe(false);
    }
  });

  it('#75 sends dpop_jkt, the thumbprint of a new non-extractable key stored for this attempt, when the server takes ES256', async () => {
    const { url, attempt } = await start(DPOP);

    const name = INSPECT_KEY_PREFIX + attempt.state;
    expect(attempt.dpop_key).toBe(name);
    const pair = store.data.get(name) as CryptoKeyPair;
    expect(pair.privateKey.extractable).toBe(false);
    expect(url.searchParams.getAll('dpop_jkt')).toEqual([await keyPairThumbprint(pair)]);
  });

  it.each([
    ['no DPoP metadata', SERVER],
    ['RS256 and PS256 only', { ...SERVER, dpop_signing_alg_values_supported: ['RS256', 'PS256'] }],
    ['es256 in lower case', { ...SERVER, dpop_signing_alg_values_supported: ['es256'] }],
    ['an empty list', { ...SERVER, dpop_signing_alg_values_supported: [] }],
  ])('sends no dpop_jkt and makes no key for a server with %s', async (_case, server: InspectedServer) => {
    const { url, attempt } = await start(server);

    expect(url.searchParams.has('dpop_jkt')).toBe(false);
    expect(attempt.dpop_key).toBeUndefined();
    expect([...store.data.keys()]).toEqual([INSPECT_PREFIX + attempt.state]);
  });

  it('#9 stores the attempt at inspect:<state> with what the callback and exchange need', async () => {
    const before = Date.now();
    const { attempt } = await start(DPOP, { scopes: ['openid'] });
    const after = Date.now();

    expect(store.data.get(INSPECT_PREFIX + attempt.state)).toEqual(attempt);
    expect(attempt).toMatchObject({
      server: DPOP,
      client_id: CLIENT_ID,
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      profile_name: 'Inspected',
    });
    expect(attempt.created_at).toBeGreaterThanOrEqual(before);
    expect(attempt.created_at).toBeLessThanOrEqual(after);
    expect(requests).toHaveLength(0);
  });

  it('#9 #26 a second inspection deletes the first attempt and its key, and leaves other records alone', async () => {
    store.data.set('profile:p1', { id: 'p1' });
    store.data.set('key:dpop', { app: 'key' });
    store.data.set('session', { app: 'session' });
    const first = await start(DPOP);

    const second = await start(DPOP);

    expect(second.attempt.state).not.toBe(first.attempt.state);
    expect(second.attempt.code_verifier).not.toBe(first.attempt.code_verifier);
    expect(second.url.searchParams.get('dpop_jkt')).not.toBe(first.url.searchParams.get('dpop_jkt'));
    expect([...store.data.keys()].sort()).toEqual(
      [
        'profile:p1',
        'key:dpop',
        'session',
        INSPECT_PREFIX + second.attempt.state,
        INSPECT_KEY_PREFIX + second.attempt.state,
      ].sort(),
    );
    // The replaced attempt's callback finds nothing.
    const replaced = await readCallback(goodCallback(first.attempt), runtime);
    expect(replaced.attempt).toBeUndefined();
    expect(replaced.validated).toBeUndefined();
  });
});

describe('pushInspection (RFC 9126)', () => {
  const PAR: InspectedServer = { ...DPOP, pushed_authorization_request_endpoint: 'https://as.example/par' };
  const REQUEST_URI = 'urn:ietf:params:oauth:request_uri:inspected-1';
  const pushedAnswer = () => jsonResponse({ request_uri: REQUEST_URI, expires_in: 60 }, 201);

  it('pushes exactly the built parameters, recorded; the URL then carries only client_id and request_uri', async () => {
    answer(pushedAnswer);
    const { attempt, parameters } = await start(PAR, { scopes: ['openid', 'read'] });

    const pushed = await pushInspection(attempt, parameters, runtime);

    expect(pushed.error).toBeUndefined();
    expect(requests).toHaveLength(1);
    expect(requests[0].url).toBe(PAR.pushed_authorization_request_endpoint);
    expect(requests[0].method).toBe('POST');
    expect(requests[0].headers).not.toHaveProperty('authorization');
    expect(formOf(requests[0])).toEqual(Object.fromEntries(parameters.map((p) => [p.name, [p.value]])));
    expect(parameters.map((p) => p.name)).toEqual([
      'response_type',
      'client_id',
      'redirect_uri',
      'scope',
      'state',
      'code_challenge',
      'code_challenge_method',
      'nonce',
      'dpop_jkt',
    ]);
    expect(pushed.value).toMatchObject({ request_uri: REQUEST_URI, expires_in: 60 });
    const url = pushed.value!.url;
    expect(url.origin + url.pathname).toBe(PAR.authorization_endpoint);
    expect([...url.searchParams]).toEqual([
      ['client_id', CLIENT_ID],
      ['request_uri', REQUEST_URI],
    ]);
    expect(pushed.exchanges.map((e) => [e.label, e.request.method, e.response?.status])).toEqual([
      ['Pushed authorization request', 'POST', 201],
    ]);
    expect(fieldsOf(pushed.exchanges[0].request.body)).toMatchObject({
      state: attempt.state,
      code_challenge_method: 'S256',
    });
    expectNoSecret(shown(pushed.exchanges), { code_verifier: attempt.code_verifier });
  });

  it('signs the push with the attempt’s key, the one dpop_jkt names, and shows the proof masked', async () => {
    answer(pushedAnswer);
    const { attempt, parameters } = await start(PAR);

    const pushed = await pushInspection(attempt, parameters, runtime);

    const proof = await proofOf(requests[0]);
    expect(proof.payload).toMatchObject({ htm: 'POST', htu: PAR.pushed_authorization_request_endpoint });
    expect(await jwkThumbprint(proof.header.jwk!)).toBe(parameters.find((p) => p.name === 'dpop_jkt')?.value);
    expectNoSecret(shown(pushed.exchanges), { dpop: requests[0].headers.dpop });
  });

  it('retries a use_dpop_nonce answer once, with the nonce, both exchanges shown', async () => {
    answer(() => tokenNonceError('par-nonce-1'), pushedAnswer);
    const { attempt, parameters } = await start(PAR);

    const pushed = await pushInspection(attempt, parameters, runtime);

    expect(pushed.error).toBeUndefined();
    expect(pushed.value?.request_uri).toBe(REQUEST_URI);
    expect((await proofOf(requests[1])).payload.nonce).toBe('par-nonce-1');
    expect(pushed.exchanges.map((e) => [e.label, e.response?.status])).toEqual([
      ['Pushed authorization request', 400],
      ['Pushed authorization request (again)', 201],
    ]);
  });

  it('pushes without a proof when the server takes no DPoP', async () => {
    answer(pushedAnswer);
    const plain: InspectedServer = { ...SERVER, pushed_authorization_request_endpoint: 'https://as.example/par' };
    const { attempt, parameters } = await start(plain);

    const pushed = await pushInspection(attempt, parameters, runtime);

    expect(pushed.value?.request_uri).toBe(REQUEST_URI);
    expect(requests[0].headers).not.toHaveProperty('dpop');
    expect(formOf(requests[0])).not.toHaveProperty('dpop_jkt');
  });

  it('shows a refusal with its OAuth error and status, and the exchange as answered', async () => {
    answer(() => jsonResponse({ error: 'invalid_request', error_description: 'redirect_uri not registered' }, 400));
    const { attempt, parameters } = await start(PAR);

    const pushed = await pushInspection(attempt, parameters, runtime);

    expect(pushed.value).toBeUndefined();
    expect(pushed.error).toMatchObject({
      code: 'invalid_request',
      status: 400,
      description: 'redirect_uri not registered',
    });
    expect(pushed.exchanges.map((e) => e.response?.status)).toEqual([400]);
  });

  it('calls a request that got no answer, from a server that is there, cors_blocked: a problem, not an error', async () => {
    respond = (_request, index) => {
      if (index === 0) throw new TypeError('Failed to fetch');
      return new Response(null, { status: 405 });
    };
    const { attempt, parameters } = await start(PAR);

    const pushed = await pushInspection(attempt, parameters, runtime);

    expect(pushed.error).toBeUndefined();
    expect(pushed.problem?.code).toBe('cors_blocked');
    expect(pushed.exchanges.map((e) => e.failure)).toEqual(['cors_blocked']);
  });

  it('sends nothing to a server without a PAR endpoint', async () => {
    const { attempt, parameters } = await start(DPOP);

    const pushed = await pushInspection(attempt, parameters, runtime);

    expect(pushed.problem).toMatchObject({ code: 'form', field: 'pushed_authorization_request_endpoint' });
    expect(pushed.error).toBeUndefined();
    expect(requests).toHaveLength(0);
  });
});

describe('readCallback', () => {
  const failedChecks = (received: ReceivedCallback) =>
    received.checks.filter((c) => c.outcome === 'failed').map((c) => c.name);

  it('#9 #27 accepts a good callback: every check passes, validated, and the attempt is taken from storage', async () => {
    const { attempt } = await start();

    const received = await readCallback(goodCallback(attempt), runtime);

    expect(received.checks.map((c) => [c.name, c.outcome])).toEqual([
      [STATE_ONCE, 'passed'],
      [STATE_KNOWN, 'passed'],
      [FRESH, 'passed'],
      [ISS, 'passed'],
      [NO_ERROR, 'passed'],
      [ONE_CODE, 'passed'],
    ]);
    expect(received.error).toBeUndefined();
    expect(received.validated?.get('code')).toBe(CODE);
    expect(received.attempt).toEqual(attempt);
    expect(received.params).toMatchObject({ code: [CODE], state: [attempt.state], iss: [ISSUER] });
    expect(store.data.has(INSPECT_PREFIX + attempt.state)).toBe(false);
    expect(JSON.stringify([...store.data])).not.toContain(CODE);
  });

  it('#22 #27 finds no attempt when the same callback is read again', async () => {
    const { attempt } = await start();
    await readCallback(goodCallback(attempt), runtime);

    const again = await readCallback(goodCallback(attempt), runtime);

    expect(again.attempt).toBeUndefined();
    expect(again.validated).toBeUndefined();
    expect(failedChecks(again)).toEqual([STATE_KNOWN]);
    expect(again.error?.code).toBe('state_mismatch');
  });

  it('#23 accepts a callback without iss from a server that does not promise it: the iss check is not checked, not passed', async () => {
    const { attempt } = await start({ ...SERVER, authorization_response_iss_parameter_supported: false });

    const received = await readCallback(
      callbackUrl([
        ['code', CODE],
        ['state', attempt.state],
      ]),
      runtime,
    );

    expect(failedChecks(received)).toEqual([]);
    expect(received.checks.find((c) => c.name === ISS)).toEqual({
      name: ISS,
      outcome: 'not checked',
      detail: 'Not sent; the server does not promise it.',
    });
    expect(received.validated?.get('code')).toBe(CODE);
  });

  describe('with no issuer entered (endpoints by hand)', () => {
    const BY_HAND: InspectedServer = {
      authorization_endpoint: SERVER.authorization_endpoint,
      token_endpoint: SERVER.token_endpoint,
    };

    it('#23 without iss: not checked, and validated', async () => {
      const { attempt } = await start(BY_HAND);

      const received = await readCallback(
        callbackUrl([
          ['code', CODE],
          ['state', attempt.state],
        ]),
        runtime,
      );

      expect(received.checks.find((c) => c.name === ISS)?.outcome).toBe('not checked');
      expect(failedChecks(received)).toEqual([]);
      expect(received.error).toBeUndefined();
      expect(received.validated?.get('code')).toBe(CODE);
    });

    it('#23 with one iss: shown, not compared; oauth4webapi validates the rest', async () => {
      const { attempt } = await start(BY_HAND);

      const received = await readCallback(
        callbackUrl([
          ['code', CODE],
          ['state', attempt.state],
          ['iss', 'https://whoever.example'],
        ]),
        runtime,
      );

      const iss = received.checks.find((c) => c.name === ISS);
      expect(iss?.outcome).toBe('not checked');
      expect(iss?.detail).toContain('"https://whoever.example"');
      expect(iss?.detail).toContain('not compared');
      expect(received.validated?.get('code')).toBe(CODE);
    });

    it('#24 still reads an error answer through oauth4webapi', async () => {
      const { attempt } = await start(BY_HAND);

      const received = await readCallback(
        callbackUrl([
          ['error', 'access_denied'],
          ['state', attempt.state],
        ]),
        runtime,
      );

      expect(received.validated).toBeUndefined();
      expect(received.error?.code).toBe('access_denied');
      expect(received.checks.at(-1)).toMatchObject({ name: LIBRARY, outcome: 'failed' });
    });

    it('#28 refuses iss sent twice', async () => {
      const { attempt } = await start(BY_HAND);

      const received = await readCallback(
        callbackUrl([
          ['code', CODE],
          ['state', attempt.state],
          ['iss', 'https://a.example'],
          ['iss', 'https://a.example'],
        ]),
        runtime,
      );

      expect(failedChecks(received)).toContain(ISS);
      expect(received.validated).toBeUndefined();
    });
  });

  it('#9 accepts an attempt exactly 10 minutes old', async () => {
    const { attempt } = await start();

    const received = await readCallback(goodCallback(attempt), runtime, attempt.created_at + TEN_MINUTES);

    expect(failedChecks(received)).toEqual([]);
    expect(received.validated).toBeDefined();
  });

  interface HostileCase {
    name: string;
    params: (state: string) => [string, string][];
    failed: string[];
    /** Whether the callback named the attempt, which then leaves storage. */
    taken: boolean;
    code?: string;
    now?: (createdAt: number) => number;
    server?: InspectedServer;
  }

  const hostile: HostileCase[] = [
    {
      name: '#22 no state',
      params: () => [
        ['code', CODE],
        ['iss', ISSUER],
      ],
      failed: [STATE_ONCE, STATE_KNOWN],
      taken: false,
      code: 'state_mismatch',
    },
    {
      name: '#22 an empty state',
      params: () => [
        ['code', CODE],
        ['state', ''],
        ['iss', ISSUER],
      ],
      failed: [STATE_KNOWN],
      taken: false,
      code: 'state_mismatch',
    },
    {
      name: '#28 the state twice',
      params: (s) => [
        ['code', CODE],
        ['state', s],
        ['state', s],
        ['iss', ISSUER],
      ],
      failed: [STATE_ONCE, STATE_KNOWN],
      taken: false,
      code: 'state_mismatch',
    },
    {
      name: '#28 two conflicting states',
      params: (s) => [
        ['code', CODE],
        ['state', s],
        ['state', 'forged'],
        ['iss', ISSUER],
      ],
      failed: [STATE_ONCE, STATE_KNOWN],
      taken: false,
      code: 'state_mismatch',
    },
    {
      name: '#22 an unknown state',
      params: () => [
        ['code', CODE],
        ['state', 'forged-state-value-0123456789'],
        ['iss', ISSUER],
      ],
      failed: [STATE_KNOWN],
      taken: false,
      code: 'state_mismatch',
    },
    {
      name: '#22 an unknown state with an error',
      params: () => [
        ['error', 'access_denied'],
        ['state', 'forged-state-value-0123456789'],
        ['iss', ISSUER],
      ],
      failed: [STATE_KNOWN, NO_ERROR, ONE_CODE],
      taken: false,
    },
    {
      name: '#23 another issuer',
      params: (s) => [
        ['code', CODE],
        ['state', s],
        ['iss', 'https://evil.example'],
      ],
      failed: [ISS, LIBRARY],
      taken: true,
      code: 'invalid_response',
    },
    {
      name: '#23 the issuer with a trailing slash',
      params: (s) => [
        ['code', CODE],
        ['state', s],
        ['iss', `${ISSUER}/`],
      ],
      failed: [ISS, LIBRARY],
      taken: true,
      code: 'invalid_response',
    },
    {
      name: '#23 #28 the right iss twice',
      params: (s) => [
        ['code', CODE],
        ['state', s],
        ['iss', ISSUER],
        ['iss', ISSUER],
      ],
      failed: [ISS, LIBRARY],
      taken: true,
      code: 'invalid_response',
    },
    {
      name: '#23 #28 the right iss and another',
      params: (s) => [
        ['code', CODE],
        ['state', s],
        ['iss', ISSUER],
        ['iss', 'https://evil.example'],
      ],
      failed: [ISS, LIBRARY],
      taken: true,
      code: 'invalid_response',
    },
    {
      name: '#23 no iss from a server that promises it',
      params: (s) => [
        ['code', CODE],
        ['state', s],
      ],
      failed: [ISS, LIBRARY],
      taken: true,
      code: 'invalid_response',
    },
    {
      name: '#23 another issuer, from a server that does not promise iss',
      params: (s) => [
        ['code', CODE],
        ['state', s],
        ['iss', 'https://evil.example'],
      ],
      failed: [ISS, LIBRARY],
      taken: true,
      code: 'invalid_response',
      server: { ...SERVER, authorization_response_iss_parameter_supported: false },
    },
    {
      name: '#25 error=access_denied',
      params: (s) => [
        ['error', 'access_denied'],
        ['error_description', 'The user said no'],
        ['state', s],
        ['iss', ISSUER],
      ],
      failed: [NO_ERROR, ONE_CODE, LIBRARY],
      taken: true,
      code: 'access_denied',
    },
    {
      name: '#24 error=access_denied from another issuer',
      params: (s) => [
        ['error', 'access_denied'],
        ['state', s],
        ['iss', 'https://evil.example'],
      ],
      failed: [ISS, NO_ERROR, ONE_CODE, LIBRARY],
      taken: true,
      // Not attributed to the server: the iss check fails first.
      code: 'invalid_response',
    },
    {
      name: '#28 two codes',
      params: (s) => [
        ['code', CODE],
        ['code', 'second-code'],
        ['state', s],
        ['iss', ISSUER],
      ],
      failed: [ONE_CODE],
      taken: true,
    },
    {
      name: '#28 a code and an error',
      params: (s) => [
        ['code', CODE],
        ['error', 'server_error'],
        ['state', s],
        ['iss', ISSUER],
      ],
      failed: [NO_ERROR, LIBRARY],
      taken: true,
      code: 'server_error',
    },
    {
      name: 'no code',
      params: (s) => [
        ['state', s],
        ['iss', ISSUER],
      ],
      failed: [ONE_CODE],
      taken: true,
    },
    {
      name: 'an implicit-flow id_token next to the code',
      params: (s) => [
        ['code', CODE],
        ['state', s],
        ['iss', ISSUER],
        ['id_token', ID_TOKEN],
      ],
      failed: [LIBRARY],
      taken: true,
      code: 'invalid_response',
    },
    {
      name: '#9 a stale attempt (10 minutes and 1 ms old)',
      params: (s) => [
        ['code', CODE],
        ['state', s],
        ['iss', ISSUER],
      ],
      failed: [FRESH],
      taken: true,
      now: (createdAt) => createdAt + TEN_MINUTES + 1,
    },
  ];

  it.each(hostile)('rejects $name: failed checks, no validated parameters, no request', async (c) => {
    const { attempt } = await start(c.server ?? SERVER);

    const received = await readCallback(
      callbackUrl(c.params(attempt.state)),
      runtime,
      c.now?.(attempt.created_at) ?? attempt.created_at + 1000,
    );

    expect(failedChecks(received)).toEqual(c.failed);
    expect(received.validated).toBeUndefined();
    if (c.code !== undefined) expect(received.error?.code).toBe(c.code);
    expect(received.attempt !== undefined).toBe(c.taken);
    expect(store.data.has(INSPECT_PREFIX + attempt.state)).toBe(!c.taken);
    expect(requests).toHaveLength(0);
  });
});

describe('exchangeCode', () => {
  it('#10 sends the code with the attempt’s code_verifier and redirect_uri, recorded', async () => {
    answer(() => tokenResponse());
    const { attempt, validated } = await validatedAttempt();

    const result = await exchangeCode(attempt, validated, runtime);

    expect(result.error).toBeUndefined();
    expect(result.value).toMatchObject({ access_token: ACCESS_TOKEN, refresh_token: REFRESH_TOKEN });
    expect(requests).toHaveLength(1);
    expect(requests[0].method).toBe('POST');
    expect(requests[0].url).toBe(SERVER.token_endpoint);
    expect(requests[0].headers.dpop).toBeUndefined();
    expect(formOf(requests[0])).toEqual({
      grant_type: ['authorization_code'],
      code: [CODE],
      redirect_uri: [REDIRECT_URI],
      code_verifier: [attempt.code_verifier],
      client_id: [CLIENT_ID],
    });
    expect(result.exchanges.map((e) => [e.label, e.request.method, e.request.url, e.response?.status])).toEqual([
      ['Token request (authorization_code)', 'POST', SERVER.token_endpoint, 200],
    ]);
  });

  it('#10 sends the very redirect_uri string of the authorization request', async () => {
    const redirectUri = 'https://App.Example:443/inspect/callback?tab=1';
    answer(() => tokenResponse());
    const { url, attempt, validated } = await validatedAttempt(SERVER, { redirectUri });

    await exchangeCode(attempt, validated, runtime);

    expect(formOf(requests[0]).redirect_uri).toEqual([redirectUri]);
    expect(url.searchParams.get('redirect_uri')).toBe(redirectUri);
  });

  /** An unsigned-looking RS256 ID token (oauth4webapi does not verify token-endpoint ID token signatures). */
  const idToken = (claims: Record<string, unknown>) => {
    const part = (value: unknown) => base64url(new TextEncoder().encode(JSON.stringify(value)));
    const now = Math.floor(Date.now() / 1000);
    const payload = { iss: ISSUER, aud: CLIENT_ID, sub: 'user-1', iat: now, exp: now + 300, ...claims };
    return `${part({ alg: 'RS256', typ: 'JWT' })}.${part(payload)}.${part('signature-canary-value')}`;
  };

  it.each<[string, (nonce: string) => { id_token?: string }, string | undefined]>([
    ['the attempt’s nonce', (nonce) => ({ id_token: idToken({ nonce }) }), undefined],
    ['another nonce', () => ({ id_token: idToken({ nonce: 'replayed-nonce-value' }) }), 'invalid_response'],
    ['no nonce', () => ({ id_token: idToken({}) }), 'invalid_response'],
    ['no ID token at all', () => ({}), 'invalid_response'],
  ])('with openid, accepts only an ID token carrying the nonce: %s', async (_case, extra, code) => {
    const { attempt, validated } = await validatedAttempt(SERVER, { scopes: ['openid'] });
    const members = extra(attempt.nonce!);
    answer(() => tokenResponse(members));

    const result = await exchangeCode(attempt, validated, runtime);

    expect(result.error?.code).toBe(code);
    expect(result.value?.id_token).toBe(code ? undefined : members.id_token);
    if (members.id_token) expectNoSecret(shown(result.exchanges), { id_token: members.id_token });
  });

  it('#77 retries a use_dpop_nonce answer once, with the nonce, signed by the attempt’s key', async () => {
    answer(
      () => tokenNonceError('nonce-1'),
      () => tokenResponse({ token_type: 'DPoP' }),
    );
    const { url, attempt, validated } = await validatedAttempt(DPOP);

    const result = await exchangeCode(attempt, validated, runtime);

    expect(result.error).toBeUndefined();
    expect(result.value).toMatchObject({ access_token: ACCESS_TOKEN, token_type: 'dpop' });
    expect(requests).toHaveLength(2);
    const [first, second] = await Promise.all(requests.map((r) => proofOf(r)));
    expect(first.payload.nonce).toBeUndefined();
    expect(second.payload.nonce).toBe('nonce-1');
    for (const proof of [first, second]) {
      expect(proof.payload).toMatchObject({ htm: 'POST', htu: DPOP.token_endpoint });
      expect(await jwkThumbprint(proof.header.jwk!)).toBe(url.searchParams.get('dpop_jkt'));
    }
    expect(formOf(requests[1])).toMatchObject({ code: [CODE], code_verifier: [attempt.code_verifier] });
    expect(result.exchanges.map((e) => [e.label, e.response?.status])).toEqual([
      ['Token request (authorization_code)', 400],
      ['Token request (authorization_code) (again)', 200],
    ]);
  });

  it('#77 does not loop on a second use_dpop_nonce answer', async () => {
    answer(
      () => tokenNonceError('nonce-1'),
      () => tokenNonceError('nonce-2'),
    );
    const { attempt, validated } = await validatedAttempt(DPOP);

    const result = await exchangeCode(attempt, validated, runtime);

    expect(result.error?.code).toBe('use_dpop_nonce');
    expect(result.value).toBeUndefined();
    expect(requests).toHaveLength(2);
  });

  it('reports invalid_grant with the exchange recorded', async () => {
    answer(() => jsonResponse({ error: 'invalid_grant', error_description: 'code already used' }, 400));
    const { attempt, validated } = await validatedAttempt();

    const result = await exchangeCode(attempt, validated, runtime);

    expect(result.value).toBeUndefined();
    expect(result.error).toMatchObject({ code: 'invalid_grant', description: 'code already used', status: 400 });
    expect(result.exchanges).toHaveLength(1);
    expect(result.exchanges[0].response?.status).toBe(400);
    expect(JSON.parse(result.exchanges[0].response!.body)).toMatchObject({ error: 'invalid_grant' });
    expect(fieldsOf(result.exchanges[0].request.body).code).not.toBe(CODE);
  });

  it('reports network_error when neither the token request nor the probe got an answer', async () => {
    respond = () => {
      throw new TypeError('Failed to fetch');
    };
    const { attempt, validated } = await validatedAttempt();

    const result = await exchangeCode(attempt, validated, runtime);

    expect(result.error).toBeUndefined();
    expect(result.problem).toMatchObject({ code: 'network_error', endpoint: SERVER.token_endpoint });
    expect(result.exchanges.map((e) => e.failure)).toEqual(['network_error']);
  });

  it('sends no code to a token endpoint outside the page’s connect-src', async () => {
    const { attempt, validated } = await validatedAttempt();
    const connect = { appOrigin: 'http://127.0.0.1:5173', origins: ['https://elsewhere.example'] };

    const result = await exchangeCode(attempt, validated, runtime, connect);

    expect(result.problem).toMatchObject({ code: 'csp_blocked', field: 'INSPECT_CONNECT_ORIGINS' });
    expect(result.problem?.message).toContain(new URL(SERVER.token_endpoint).origin);
    expect(result.exchanges).toEqual([]);
    expect(requests).toHaveLength(0);
  });

  it('exchanges a code with a server entered by hand without an issuer (no openid)', async () => {
    answer(() => tokenResponse());
    const byHand: InspectedServer = {
      authorization_endpoint: SERVER.authorization_endpoint,
      token_endpoint: SERVER.token_endpoint,
    };
    const { attempt } = await start(byHand);
    const received = await readCallback(
      callbackUrl([
        ['code', CODE],
        ['state', attempt.state],
      ]),
      runtime,
    );

    const result = await exchangeCode(received.attempt!, received.validated!, runtime);

    expect(result.value?.access_token).toBe(ACCESS_TOKEN);
    expect(formOf(requests[0]).code).toEqual([CODE]);
  });
});

describe('refreshInspected', () => {
  it('sends the refresh token grant, recorded with the token masked', async () => {
    const rotated = `${REFRESH_TOKEN}-2`;
    answer(() => tokenResponse({ refresh_token: rotated }));
    const { attempt } = await validatedAttempt();

    const result = await refreshInspected(attempt, REFRESH_TOKEN, runtime);

    expect(result.error).toBeUndefined();
    expect(result.value).toMatchObject({ access_token: ACCESS_TOKEN, refresh_token: rotated });
    expect(requests.map((r) => [r.method, r.url])).toEqual([['POST', SERVER.token_endpoint]]);
    expect(formOf(requests[0])).toEqual({
      grant_type: ['refresh_token'],
      refresh_token: [REFRESH_TOKEN],
      client_id: [CLIENT_ID],
    });
    expect(result.exchanges.map((e) => e.label)).toEqual(['Token request (refresh_token)']);
    expectNoSecret(shown(result.exchanges), { REFRESH_TOKEN, ACCESS_TOKEN, rotated });
  });

  it('sends a DPoP proof from the attempt’s key when the attempt is DPoP-bound', async () => {
    answer(() => tokenResponse({ token_type: 'DPoP' }));
    const { url, attempt } = await validatedAttempt(DPOP);

    const result = await refreshInspected(attempt, REFRESH_TOKEN, runtime);

    expect(result.error).toBeUndefined();
    const proof = await proofOf(requests[0]);
    expect(await jwkThumbprint(proof.header.jwk!)).toBe(url.searchParams.get('dpop_jkt'));
  });

  it('reports invalid_grant', async () => {
    answer(() => jsonResponse({ error: 'invalid_grant' }, 400));
    const { attempt } = await validatedAttempt();

    const result = await refreshInspected(attempt, REFRESH_TOKEN, runtime);

    expect(result.error).toMatchObject({ code: 'invalid_grant', status: 400 });
    expect(result.exchanges).toHaveLength(1);
  });
});

describe('revokeInspected', () => {
  it('#57 without a revocation_endpoint: a form problem, and no request', async () => {
    const { attempt } = await validatedAttempt({ ...SERVER, revocation_endpoint: undefined });

    const result = await revokeInspected(attempt, REFRESH_TOKEN, 'refresh_token');

    expect(result.problem).toMatchObject({ code: 'form', field: 'revocation_endpoint' });
    expect(result.error).toBeUndefined();
    expect(result.value).toBeUndefined();
    expect(result.exchanges).toEqual([]);
    expect(requests).toHaveLength(0);
  });

  it.each(['access_token', 'refresh_token'] as const)('revokes with token_type_hint=%s', async (hint) => {
    answer(() => new Response(null, { status: 200 }));
    const { attempt } = await validatedAttempt();

    const result = await revokeInspected(attempt, ACCESS_TOKEN, hint);

    expect(result.error).toBeUndefined();
    expect(result.value).toBe(true);
    expect(requests.map((r) => [r.method, r.url])).toEqual([['POST', SERVER.revocation_endpoint]]);
    expect(formOf(requests[0])).toEqual({ token: [ACCESS_TOKEN], token_type_hint: [hint], client_id: [CLIENT_ID] });
    expect(result.exchanges.map((e) => [e.label, e.response?.status])).toEqual([['Revocation', 200]]);
    expectNoSecret(shown(result.exchanges), { ACCESS_TOKEN });
  });

  it('reports the server’s error', async () => {
    answer(() => jsonResponse({ error: 'unsupported_token_type' }, 400));
    const { attempt } = await validatedAttempt();

    const result = await revokeInspected(attempt, ACCESS_TOKEN, 'access_token');

    expect(result.error).toMatchObject({ code: 'unsupported_token_type', status: 400 });
  });
});

describe('introspectInspected', () => {
  it('without an introspection_endpoint: a form problem, and no request', async () => {
    const { attempt } = await validatedAttempt({ ...SERVER, introspection_endpoint: undefined });

    const result = await introspectInspected(attempt, ACCESS_TOKEN);

    expect(result.problem).toMatchObject({ code: 'form', field: 'introspection_endpoint' });
    expect(result.error).toBeUndefined();
    expect(result.exchanges).toEqual([]);
    expect(requests).toHaveLength(0);
  });

  it('asks about the token and returns the answer, recorded', async () => {
    answer(() => jsonResponse({ active: true, scope: 'read', client_id: CLIENT_ID }));
    const { attempt } = await validatedAttempt();

    const result = await introspectInspected(attempt, ACCESS_TOKEN);

    expect(result.error).toBeUndefined();
    expect(result.value).toMatchObject({ active: true, scope: 'read' });
    expect(requests.map((r) => [r.method, r.url])).toEqual([['POST', SERVER.introspection_endpoint]]);
    expect(formOf(requests[0])).toEqual({ token: [ACCESS_TOKEN], client_id: [CLIENT_ID] });
    expect(result.exchanges.map((e) => e.label)).toEqual(['Introspection']);
    expectNoSecret(shown(result.exchanges), { ACCESS_TOKEN });
  });
});

describe('userInfoInspected', () => {
  it('without a userinfo_endpoint: a form problem, and no request', async () => {
    const { attempt } = await validatedAttempt({ ...SERVER, userinfo_endpoint: undefined });

    const result = await userInfoInspected(attempt, ACCESS_TOKEN, runtime);

    expect(result.problem).toMatchObject({ code: 'form', field: 'userinfo_endpoint' });
    expect(result.error).toBeUndefined();
    expect(result.exchanges).toEqual([]);
    expect(requests).toHaveLength(0);
  });

  it('#59 sends the access token in the Authorization header only, recorded masked', async () => {
    answer(() => jsonResponse({ sub: 'user-1', name: 'Ada' }));
    const { attempt } = await validatedAttempt();

    const result = await userInfoInspected(attempt, ACCESS_TOKEN, runtime);

    expect(result.error).toBeUndefined();
    expect(result.value).toEqual({ sub: 'user-1', name: 'Ada' });
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ method: 'GET', url: SERVER.userinfo_endpoint, body: undefined });
    expect(requests[0].headers.authorization).toBe(`Bearer ${ACCESS_TOKEN}`);
    expect(result.exchanges[0].label).toBe('UserInfo');
    expect(result.exchanges[0].request.headers.authorization).toMatch(/^Bearer \S/);
    expectNoSecret(shown(result.exchanges), { ACCESS_TOKEN });
  });

  it('reports the challenge of a 401 as its error', async () => {
    answer(
      () =>
        new Response(null, {
          status: 401,
          headers: { 'www-authenticate': 'Bearer error="invalid_token", error_description="expired"' },
        }),
    );
    const { attempt } = await validatedAttempt();

    const result = await userInfoInspected(attempt, ACCESS_TOKEN, runtime);

    expect(result.error).toMatchObject({ code: 'invalid_token', description: 'expired', status: 401 });
    expect(result.exchanges.map((e) => e.response?.status)).toEqual([401]);
  });

  it('#77 with DPoP: DPoP scheme, ath of the token, and one retry with the resource server’s nonce', async () => {
    answer(
      () => resourceNonceError('rs-nonce'),
      () => jsonResponse({ sub: 'user-1' }),
    );
    const { attempt } = await validatedAttempt(DPOP);

    const result = await userInfoInspected(attempt, ACCESS_TOKEN, runtime);

    expect(result.error).toBeUndefined();
    expect(result.value).toEqual({ sub: 'user-1' });
    expect(requests).toHaveLength(2);
    expect(requests.map((r) => r.headers.authorization)).toEqual([`DPoP ${ACCESS_TOKEN}`, `DPoP ${ACCESS_TOKEN}`]);
    const [first, second] = await Promise.all(requests.map((r) => proofOf(r)));
    expect(first.payload).toMatchObject({ htm: 'GET', htu: DPOP.userinfo_endpoint, ath: await s256(ACCESS_TOKEN) });
    expect(first.payload.nonce).toBeUndefined();
    expect(second.payload.nonce).toBe('rs-nonce');
    expect(result.exchanges.map((e) => e.response?.status)).toEqual([401, 200]);
  });
});
