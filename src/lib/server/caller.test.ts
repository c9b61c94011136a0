import { afterEach, describe, expect, it, vi } from 'vitest';
import { TEST_SERVER } from '../oauth/fake-fetch.test-util.js';
import { requireScope, verifyCaller, type Caller } from './caller.js';
import { CallerError, CallerUnavailableError, createCallerProblems, createOperatorWarning } from './caller-errors.js';
import { createMemoryReplayGuard, createMemoryShortCache } from './short-state.js';

const caller = (scopes: string[]): Caller => ({ sub: 'user-1', scopes });

/** The CallerError `work` throws; fails the test if it does not throw one. */
function callerErrorOf(work: () => void): CallerError {
  let thrown: unknown;
  try {
    work();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(CallerError);
  return thrown as CallerError;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('#83 requireScope', () => {
  it.each([
    [[], 'read:customers'],
    [['read:work-orders'], 'read:customers'],
    [['read:customer'], 'read:customers'],
    [['read:customers-extra'], 'read:customers'],
    [['ADMIN'], 'read:customers'],
    [['administrator'], 'read:customers'],
  ])('#83 scopes %j without %s → 403 insufficient_scope naming the scope', (scopes, scope) => {
    const err = callerErrorOf(() => requireScope(caller(scopes), scope));
    expect(err.status).toBe(403);
    expect(err.error).toBe('insufficient_scope');
    expect(err.scope).toBe(scope);
    expect(err.challenge).toMatch(/^Bearer /);
    expect(err.challenge).toContain('error="insufficient_scope"');
    expect(err.challenge).toContain(`scope="${scope}"`);
  });

  it.each([
    [['read:customers'], 'read:customers'],
    [['read:work-orders', 'read:customers'], 'read:customers'],
    [['admin'], 'read:customers'],
    [['admin'], 'read:assets'],
  ])('#83 scopes %j satisfy %s', (scopes, scope) => {
    expect(() => requireScope(caller(scopes), scope)).not.toThrow();
  });
});

describe('#83 CallerError', () => {
  it('401 → error invalid_token, in the challenge, with no scope', () => {
    const err = new CallerError(401, 'The access token is invalid or expired');
    expect(err.error).toBe('invalid_token');
    expect(err.challenge).toMatch(/^Bearer /);
    expect(err.challenge).toContain('error="invalid_token"');
    expect(err.challenge).not.toContain('scope=');
  });
});

describe('#83 verifyCaller', () => {
  it.each([
    ['no Authorization header', {}],
    ['an empty Authorization header', { authorization: '' }],
    ['a Basic credential', { authorization: 'Basic dXNlcjpwYXNz' }],
    ['a Bearer value with a space in it', { authorization: 'Bearer two parts' }],
  ])('%s → 401 invalid_token, without a network request', async (_name, headers) => {
    const fetchSpy = vi.spyOn(globalThis, 'fetch').mockRejectedValue(new Error('no network in this test'));
    const request = new Request('https://app.example/api/m2m/fenergo/entities', { headers });
    let asked = 0;
    const server = async () => {
      asked += 1;
      return { ...TEST_SERVER, jwks_uri: 'https://as.example/jwks' };
    };

    const err = await verifyCaller(request, {
      server,
      audience: 'https://api.example',
      config: { tokenFormat: 'jwt', formatChosen: true },
      cache: createMemoryShortCache(),
      replay: createMemoryReplayGuard(),
      warn: () => {},
    }).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(err).toBeInstanceOf(CallerError);
    expect((err as CallerError).status).toBe(401);
    expect((err as CallerError).error).toBe('invalid_token');
    expect(fetchSpy).not.toHaveBeenCalled();
    // Without a token to check, the server's metadata (a discovery request in the route) is never asked for.
    expect(asked).toBe(0);
  });
});

describe('verifyCaller: the issuer keys cannot be read', () => {
  // An RFC 9068 access token whose claims pass; its signature is never reached without the keys.
  const b64u = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    iss: TEST_SERVER.issuer,
    aud: 'https://api.example',
    sub: 'u1',
    client_id: 'fieldpass',
    jti: 'j1',
    iat: now,
    exp: now + 600,
  };
  const jwt = `${b64u({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' })}.${b64u(claims)}.${'A'.repeat(86)}`;
  const check = (fetch: (url: string) => Promise<Response>) =>
    verifyCaller(
      new Request('https://app.example/api/m2m/fenergo/entities', { headers: { authorization: `Bearer ${jwt}` } }),
      {
        server: async () => ({ ...TEST_SERVER, jwks_uri: 'https://as.example/jwks' }),
        audience: 'https://api.example',
        config: { tokenFormat: 'jwt', formatChosen: true },
        cache: createMemoryShortCache(),
        replay: createMemoryReplayGuard(),
        warn: () => {},
        fetch: fetch as never,
      },
    ).then(
      () => undefined,
      (e: unknown) => e,
    );

  it.each([
    ['unreachable', () => Promise.reject(new TypeError('fetch failed'))],
    ['answering 503', () => Promise.resolve(new Response('down', { status: 503 }))],
  ])('JWKS %s → 503 for the caller (the server is at fault), not 401', async (_name, answer) => {
    const err = await check(answer);
    expect(err).toBeInstanceOf(CallerUnavailableError);
    expect((err as CallerUnavailableError).status).toBe(503);
  });

  it('JWKS read, but no key for the token → 401 invalid_token', async () => {
    const err = await check(() => Promise.resolve(Response.json({ keys: [] })));
    expect(err).toBeInstanceOf(CallerError);
    expect((err as CallerError).status).toBe(401);
  });
});

describe('createOperatorWarning', () => {
  it('writes a cause once, again only after a minute; another cause at once', () => {
    const lines: string[] = [];
    let now = 0;
    const warn = createOperatorWarning(
      (line) => lines.push(line),
      () => now,
    );
    warn('a');
    warn('a');
    warn('b');
    now = 59_999;
    warn('a');
    expect(lines).toEqual(['a', 'b']);
    now = 60_000;
    warn('a');
    expect(lines).toEqual(['a', 'b', 'a']);
  });
});

describe('createCallerProblems', () => {
  it('is clear until a problem is warned of, then for a minute after the last one it is not', () => {
    let at = 0;
    const lines: string[] = [];
    const problems = createCallerProblems(
      (line) => lines.push(line),
      () => at,
    );
    expect(problems.clear()).toBe(true);
    problems.warn('[m2m] caller check unavailable: introspection refused');
    expect(problems.clear()).toBe(false);
    at = 59_999;
    expect(problems.clear()).toBe(false);
    at = 60_000;
    expect(problems.clear()).toBe(true);
    expect(lines).toEqual(['[m2m] caller check unavailable: introspection refused']);
  });
});
