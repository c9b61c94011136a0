import { describe, expect, it } from 'vitest';
import { jsonResponse } from '../oauth/fake-fetch.test-util.js';
import { verifyCaller } from './caller.js';
import { CallerError, CallerUnavailableError } from './caller-errors.js';
import {
  activeAnswer,
  callerSetup,
  INTROSPECTION_CONFIG,
  INTROSPECTION_SECRET,
  issuerKey,
  routeRequest,
  SERVER,
} from './caller-fixtures.test-util.js';
import { INTROSPECTION_CACHE_MS } from './introspection.js';

const OPAQUE = 'opaque-token-4f1d2c9e8b7a';

/** What verifyCaller ends in: the caller, or the error it throws. */
function outcome(promise: Promise<unknown>) {
  return promise.then(
    (caller) => caller,
    (err: unknown) => err,
  );
}

describe('introspection (RFC 7662)', () => {
  it('an active token → the caller, asked with our credentials and the token', async () => {
    const { deps, introspections, clock } = callerSetup(() => jsonResponse(activeAnswer(clock.now(), 300)));

    const caller = await verifyCaller(routeRequest(`Bearer ${OPAQUE}`), deps);

    expect(caller).toEqual({ sub: 'user-1', scopes: ['read:customers'] });
    const [request] = introspections();
    expect(request.method).toBe('POST');
    expect(request.form?.get('token')).toBe(OPAQUE);
    expect(request.form?.get('token_type_hint')).toBe('access_token');
    // RFC 6749 §2.3.1: id and secret are form-urlencoded before base64 (oauth4webapi encodes `-` too).
    const encode = (value: string) => encodeURIComponent(value).replace(/-/g, '%2D');
    expect(request.headers.authorization).toBe(
      `Basic ${btoa(`${encode('fieldpass-route')}:${encode(INTROSPECTION_SECRET)}`)}`,
    );
  });

  it('client_secret_post sends the credentials in the body', async () => {
    const config = {
      ...INTROSPECTION_CONFIG,
      introspection: { ...INTROSPECTION_CONFIG.introspection!, authMethod: 'client_secret_post' as const },
    };
    const { deps, introspections, clock } = callerSetup(() => jsonResponse(activeAnswer(clock.now(), 300)), { config });

    await verifyCaller(routeRequest(`Bearer ${OPAQUE}`), deps);

    const [request] = introspections();
    expect(request.headers.authorization).toBeUndefined();
    expect(request.form?.get('client_secret')).toBe(INTROSPECTION_SECRET);
  });

  it.each([
    ['inactive', { active: false }],
    ['for another audience', { aud: 'https://other.example' }],
    ['from another issuer', { iss: 'https://evil.example' }],
    ['without a subject', { sub: undefined }],
    ['a refresh token', { token_type: 'refresh_token' }],
    ['expired', { exp: 1 }],
  ])('%s → 401 invalid_token, and no warning', async (_name, extra) => {
    const { deps, clock, warnings } = callerSetup(() => jsonResponse({ ...activeAnswer(clock.now(), 300), ...extra }));

    const err = await outcome(verifyCaller(routeRequest(`Bearer ${OPAQUE}`), deps));

    expect(err).toBeInstanceOf(CallerError);
    expect((err as CallerError).status).toBe(401);
    expect((err as CallerError).challenge).toContain('error="invalid_token"');
    expect(warnings).toEqual([]);
  });

  it('the answer is cached under a hash of the token, for min(exp - now, 60 s)', async () => {
    const { deps, introspections, clock, cache } = callerSetup(() => jsonResponse(activeAnswer(clock.now(), 3600)));

    await verifyCaller(routeRequest(`Bearer ${OPAQUE}`), deps);
    clock.advance(INTROSPECTION_CACHE_MS - 1);
    await verifyCaller(routeRequest(`Bearer ${OPAQUE}`), deps);
    expect(introspections()).toHaveLength(1);

    clock.advance(1);
    await verifyCaller(routeRequest(`Bearer ${OPAQUE}`), deps);
    expect(introspections()).toHaveLength(2);
    // The token itself is never a key.
    const keys: string[] = [];
    const spy = { ...cache, getJson: (key: string) => (keys.push(key), cache.getJson(key)) };
    await verifyCaller(routeRequest(`Bearer ${OPAQUE}`), { ...deps, cache: spy });
    expect(keys).toHaveLength(1);
    expect(keys[0]).not.toContain(OPAQUE);
    expect(keys[0]).toMatch(/^introspection:[A-Za-z0-9_-]{43}$/);
  });

  it('a token expiring in 10 s is cached for 10 s only, then refused once the server says so', async () => {
    let active = true;
    const { deps, introspections, clock } = callerSetup(() =>
      jsonResponse(active ? activeAnswer(clock.now(), 10) : { active: false }),
    );

    await verifyCaller(routeRequest(`Bearer ${OPAQUE}`), deps);
    active = false;
    clock.advance(9_000);
    await verifyCaller(routeRequest(`Bearer ${OPAQUE}`), deps);
    expect(introspections()).toHaveLength(1);

    clock.advance(1_000);
    const err = await outcome(verifyCaller(routeRequest(`Bearer ${OPAQUE}`), deps));
    expect((err as CallerError).status).toBe(401);
    expect(introspections()).toHaveLength(2);
  });

  it('callers presenting the same token at once share one request', async () => {
    const { deps, introspections, clock } = callerSetup(async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return jsonResponse(activeAnswer(clock.now(), 300));
    });
    const callers = await Promise.all(
      Array.from({ length: 20 }, () => verifyCaller(routeRequest(`Bearer ${OPAQUE}`), deps)),
    );
    expect(callers.every((c) => c.sub === 'user-1')).toBe(true);
    expect(introspections()).toHaveLength(1);
  });

  it('an inactive answer is cached too, so a flood of one bad token costs one request a minute', async () => {
    const { deps, introspections } = callerSetup(() => jsonResponse({ active: false }));
    for (let i = 0; i < 3; i++) await outcome(verifyCaller(routeRequest(`Bearer ${OPAQUE}`), deps));
    expect(introspections()).toHaveLength(1);
  });
});

describe('server-side problems → 503, never 401', () => {
  const unreachable = () =>
    Promise.reject(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }));
  it.each([
    ['unreachable endpoint', unreachable, /could not be reached \(ECONNREFUSED\)/],
    [
      'our credentials refused (401 invalid_client)',
      () => jsonResponse({ error: 'invalid_client' }, 401),
      /refused our client credentials.*FENTU_INTROSPECTION_CLIENT_SECRET/,
    ],
    [
      'our credentials refused (401 with a challenge)',
      () => new Response(null, { status: 401, headers: { 'www-authenticate': 'Basic realm="as"' } }),
      /refused our client credentials/,
    ],
    ['a server error', () => new Response('oops', { status: 500 }), /HTTP 500/],
    ['an answer without `active`', () => jsonResponse({ sub: 'user-1' }), /unusable answer/],
  ])('%s → CallerUnavailableError, one warning naming the cause, no secret or token', async (_name, answer, cause) => {
    const { deps, warnings } = callerSetup(answer);

    const err = await outcome(verifyCaller(routeRequest(`Bearer ${OPAQUE}`), deps));

    expect(err).toBeInstanceOf(CallerUnavailableError);
    expect((err as CallerUnavailableError).status).toBe(503);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(cause);
    expect(warnings[0]).not.toContain(OPAQUE);
    expect(warnings[0]).not.toContain(INTROSPECTION_SECRET);
    expect(warnings[0]).not.toContain('\n');
  });

  it('a failure is not cached: the next request asks again', async () => {
    let fail = true;
    const { deps, introspections, clock } = callerSetup(() =>
      fail ? new Response('', { status: 503 }) : jsonResponse(activeAnswer(clock.now(), 300)),
    );
    await outcome(verifyCaller(routeRequest(`Bearer ${OPAQUE}`), deps));
    fail = false;
    expect(await verifyCaller(routeRequest(`Bearer ${OPAQUE}`), deps)).toMatchObject({ sub: 'user-1' });
    expect(introspections()).toHaveLength(2);
  });

  it('no introspection endpoint in discovery or settings → 503 naming FENTU_INTROSPECTION_ENDPOINT', async () => {
    const { deps, requests, warnings } = callerSetup(() => jsonResponse({ active: false }));
    const bare = { ...SERVER, introspection_endpoint: undefined };

    const err = await outcome(verifyCaller(routeRequest(`Bearer ${OPAQUE}`), { ...deps, server: async () => bare }));

    expect((err as CallerUnavailableError).status).toBe(503);
    expect(warnings[0]).toContain('FENTU_INTROSPECTION_ENDPOINT');
    expect(requests).toHaveLength(0);
  });

  it('FENTU_INTROSPECTION_ENDPOINT wins over discovery', async () => {
    const config = {
      ...INTROSPECTION_CONFIG,
      introspection: { ...INTROSPECTION_CONFIG.introspection!, endpoint: 'https://as.example/other-introspect' },
    };
    const { deps, requests, clock } = callerSetup(() => jsonResponse(activeAnswer(clock.now(), 300)), { config });
    await verifyCaller(routeRequest(`Bearer ${OPAQUE}`), deps);
    expect(requests.map((r) => r.url)).toEqual(['https://as.example/other-introspect']);
  });

  it('an opaque token with no introspection set up (jwt assumed, not chosen) → 503 naming the variables', async () => {
    const { deps, requests, warnings } = callerSetup(() => jsonResponse({ active: false }), {
      config: { tokenFormat: 'jwt', formatChosen: false },
    });

    const err = await outcome(verifyCaller(routeRequest(`Bearer ${OPAQUE}`), deps));

    expect((err as CallerUnavailableError).status).toBe(503);
    expect(warnings[0]).toContain('FENTU_INTROSPECTION_CLIENT_ID');
    expect(requests).toHaveLength(0);
  });

  it('FENTU_ACCESS_TOKEN_FORMAT=jwt chosen: a token that is not a JWT → 401, without a network request', async () => {
    const { deps, requests } = callerSetup(() => jsonResponse({ active: false }), {
      config: { tokenFormat: 'jwt', formatChosen: true },
    });
    const err = await outcome(verifyCaller(routeRequest(`Bearer ${OPAQUE}`), deps));
    expect((err as CallerError).status).toBe(401);
    expect(requests).toHaveLength(0);
  });
});

describe('FENTU_ACCESS_TOKEN_FORMAT', () => {
  it('auto: a JWT-shaped token is validated against the JWKS, any other is introspected', async () => {
    const issuer = await issuerKey();
    const { deps, requests, clock } = callerSetup(() => jsonResponse(activeAnswer(clock.now(), 300)), {
      jwks: issuer.jwks,
    });
    const now = Math.floor(Date.now() / 1000);
    const jwt = await issuer.accessToken({ iat: now, exp: now + 300 });

    expect(await verifyCaller(routeRequest(`Bearer ${jwt}`), deps)).toMatchObject({ sub: 'user-1' });
    expect(requests.map((r) => r.url)).toEqual([SERVER.jwks_uri]);

    expect(await verifyCaller(routeRequest(`Bearer ${OPAQUE}`), deps)).toMatchObject({ sub: 'user-1' });
    expect(requests.map((r) => r.url)).toEqual([SERVER.jwks_uri, SERVER.introspection_endpoint]);
  });

  it('opaque: even a JWT-shaped token is introspected', async () => {
    const issuer = await issuerKey();
    const config = { ...INTROSPECTION_CONFIG, tokenFormat: 'opaque' as const, formatChosen: true };
    const { deps, requests, clock } = callerSetup(() => jsonResponse(activeAnswer(clock.now(), 300)), {
      config,
      jwks: issuer.jwks,
    });
    const now = Math.floor(Date.now() / 1000);
    await verifyCaller(routeRequest(`Bearer ${await issuer.accessToken({ iat: now, exp: now + 300 })}`), deps);
    expect(requests.map((r) => r.url)).toEqual([SERVER.introspection_endpoint]);
  });

  it('opaque: a token the server will not introspect (400 unsupported_token_type) → 401', async () => {
    const config = { ...INTROSPECTION_CONFIG, tokenFormat: 'opaque' as const, formatChosen: true };
    const { deps, warnings } = callerSetup(() => jsonResponse({ error: 'unsupported_token_type' }, 400), { config });
    const err = await outcome(verifyCaller(routeRequest('Bearer a.b.c'), deps));
    expect((err as CallerError).status).toBe(401);
    expect(warnings).toEqual([]);
  });

  it('jwt: an opaque-looking token is never introspected', async () => {
    const config = { ...INTROSPECTION_CONFIG, tokenFormat: 'jwt' as const, formatChosen: true };
    const { deps, introspections } = callerSetup(() => jsonResponse({ active: true, sub: 'user-1' }), { config });
    const err = await outcome(verifyCaller(routeRequest(`Bearer ${OPAQUE}`), deps));
    expect((err as CallerError).status).toBe(401);
    expect(introspections()).toHaveLength(0);
  });
});
