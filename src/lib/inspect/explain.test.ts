import * as oauth from 'oauth4webapi';
import { describe, expect, it } from 'vitest';
import { FENERGO_SCOPE_LIMIT } from '../catalogs/fenergo-scopes.js';
import {
  concernsRegisteredRedirectUri,
  explainError,
  KNOWN_ERROR_CODES,
  serverErrorIn,
  type ErrorWhere,
  type Explanation,
} from './explain.js';
import { errorOf } from './step.js';

const WHERE: (ErrorWhere | undefined)[] = [
  undefined,
  'authorization',
  'token',
  'refresh',
  'introspection',
  'revocation',
  'resource',
  'route',
  'par',
  'discovery',
];

/** Everything an explanation says, as one lower-cased string. */
const textOf = (e: Explanation) => [e.title, e.meaning, ...e.likelyCauses, ...e.whatToCheck].join('\n').toLowerCase();

describe('KNOWN_ERROR_CODES (#94–#97)', () => {
  // The lists of checklist section L and the brief; a code dropped from the explainer fails here.
  const REQUIRED: [string, string[]][] = [
    [
      '#94 RFC 6749 §4.1.2.1',
      [
        'invalid_request',
        'unauthorized_client',
        'access_denied',
        'unsupported_response_type',
        'invalid_scope',
        'server_error',
        'temporarily_unavailable',
      ],
    ],
    [
      '#94 OIDC Core §3.1.2.6',
      ['login_required', 'consent_required', 'interaction_required', 'account_selection_required'],
    ],
    [
      '#95 RFC 6749 §5.2',
      [
        'invalid_request',
        'invalid_client',
        'invalid_grant',
        'unauthorized_client',
        'unsupported_grant_type',
        'invalid_scope',
      ],
    ],
    ['#95 RFC 9449', ['invalid_dpop_proof', 'use_dpop_nonce']],
    ['#96 RFC 6750 §3.1', ['invalid_request', 'invalid_token', 'insufficient_scope']],
    ['#96 RFC 7009 §2.2.1', ['unsupported_token_type']],
    ['RFC 8707 §2', ['invalid_target']],
    ['#97 vendor codes', ['redirect_uri_mismatch', 'invalid_redirect_uri']],
    ['failures with no OAuth code', ['cors_blocked', 'network_error', 'timeout', 'rate_limited']],
  ];

  it.each(REQUIRED)('%s: all covered', (_source, codes) => {
    for (const code of codes) expect(KNOWN_ERROR_CODES).toContain(code);
  });

  it('lists each code once, in the spelling servers send', () => {
    expect(new Set(KNOWN_ERROR_CODES).size).toBe(KNOWN_ERROR_CODES.length);
    for (const code of KNOWN_ERROR_CODES) expect(code).toMatch(/^[a-z_]+$/);
  });

  it('cannot be changed by a caller', () => {
    expect(Object.isFrozen(KNOWN_ERROR_CODES)).toBe(true);
  });
});

describe('explainError: every known code, everywhere', () => {
  const cases = KNOWN_ERROR_CODES.flatMap((code) => WHERE.map((where) => [code, where] as const));

  it.each(cases)('%s at %s: a full explanation', (code, where) => {
    const e = explainError(code, { where });
    expect(e.code).toBe(code);
    expect(e.source).not.toBe('unrecognized');
    expect(e.title.length).toBeGreaterThan(5);
    expect(e.meaning.length).toBeGreaterThan(20);
    expect(e.likelyCauses.length).toBeGreaterThan(0);
    expect(e.whatToCheck.length).toBeGreaterThan(0);
    expect(e.spec.length).toBeGreaterThan(0);
    for (const line of [...e.likelyCauses, ...e.whatToCheck]) expect(line.trim().length).toBeGreaterThan(10);
    expect(textOf(e)).not.toMatch(/undefined|null|\[object/);
  });

  it.each([
    ['invalid_request', 'standard'],
    ['invalid_grant', 'standard'],
    ['login_required', 'standard'],
    ['redirect_uri_mismatch', 'non-standard'],
    ['cors_blocked', 'client'],
    ['rate_limited', 'client'],
  ])('%s is labelled %s', (code, source) => {
    expect(explainError(code).source).toBe(source);
  });

  it.each([' INVALID_GRANT ', 'Invalid_Grant'])('reads %j as invalid_grant', (code) => {
    expect(explainError(code).code).toBe('invalid_grant');
  });
});

describe('explainError: invalid_grant split by context', () => {
  it.each([
    // [description, where, variant, words the explanation must use]
    ['authorization code already consumed', 'token', 'code-reused', /already used|twice/],
    ['OAuth2 Authorization code was already redeemed', 'token', 'code-reused', /already used|twice/],
    ['PKCE verification failed', 'token', 'pkce-mismatch', /code_verifier/],
    ['code_verifier does not match code_challenge', undefined, 'pkce-mismatch', /code_verifier/],
    ['The Code_Verifier does not match the code_challenge supplied', 'token', 'pkce-mismatch', /code_verifier/],
    ['authorization code redirect_uri mismatch', 'token', 'redirect-uri-differs', /redirect_uri/],
    ['authorization code is expired', 'token', 'code-expired', /expired/],
    ['DPoP proof iat is in the future: check clock skew', 'token', 'clock-skew', /clock/],
    ['client mismatch', 'token', 'client-mismatch', /client_id/],
    ['authorization code not found', 'token', 'code-unknown', /another server|copied/],
    ['grant request is invalid', 'token', 'code-generic', /server log/],
    [undefined, 'token', 'code-generic', /already used/],
    ['refresh token already used', 'refresh', 'refresh-reused', /one refresh|web lock/],
    ['refresh token is expired', 'refresh', 'refresh-expired', /sign in again/],
    ['token was revoked', 'refresh', 'refresh-revoked', /revoked/],
    ['grant request is invalid', 'refresh', 'refresh-generic', /sign in again/],
  ] as const)('%j at %s → %s', (description, where, variant, words) => {
    const e = explainError('invalid_grant', { where, description });
    expect(e.variant).toBe(variant);
    expect(textOf(e)).toMatch(words);
  });

  it('gives the code exchange and the refresh different explanations', () => {
    const exchange = explainError('invalid_grant', { where: 'token' });
    const refresh = explainError('invalid_grant', { where: 'refresh' });
    expect(exchange.title).not.toBe(refresh.title);
    expect(textOf(exchange)).toContain('code_verifier');
    expect(textOf(refresh)).toContain('refresh token');
  });

  it('gives each variant its own title', () => {
    const descriptions = [
      'authorization code already consumed',
      'PKCE verification failed',
      'redirect_uri mismatch',
      'authorization code is expired',
      'clock skew',
      'client mismatch',
      'code not found',
      'grant request is invalid',
    ];
    const titles = descriptions.map(
      (description) => explainError('invalid_grant', { where: 'token', description }).title,
    );
    expect(new Set(titles).size).toBe(descriptions.length);
  });

  it('never tells the developer to retry a refused code', () => {
    for (const description of ['authorization code already consumed', 'PKCE verification failed', undefined]) {
      expect(textOf(explainError('invalid_grant', { where: 'token', description }))).toContain('new sign-in');
    }
  });
});

describe('explainError: other context-dependent codes', () => {
  it.each([
    ['invalid_request', 'authorization', 'token'],
    ['invalid_request', 'token', 'resource'],
    ['invalid_client', 'authorization', 'token'],
    ['unauthorized_client', 'authorization', 'token'],
    ['redirect_uri_mismatch', 'authorization', 'token'],
    ['cors_blocked', 'token', 'resource'],
    ['timeout', 'token', 'refresh'],
    ['network_error', 'token', 'refresh'],
  ] as const)('%s reads differently at %s and at %s', (code, a, b) => {
    const first = explainError(code, { where: a });
    const second = explainError(code, { where: b });
    expect(first.variant).not.toBe(second.variant);
    expect(textOf(first)).not.toBe(textOf(second));
  });

  it('invalid_request with a code_challenge description at authorization explains PKCE', () => {
    const e = explainError('invalid_request', {
      where: 'authorization',
      description: 'code_challenge must be provided',
    });
    expect(e.variant).toBe('pkce-required');
    expect(textOf(e)).toContain('s256');
  });

  it('invalid_request with a code_verifier description at the token endpoint explains the lost verifier', () => {
    const e = explainError('invalid_request', { where: 'token', description: 'code_verifier required' });
    expect(e.variant).toBe('verifier-missing');
  });

  it(`invalid_scope: a scope of ${FENERGO_SCOPE_LIMIT + 1} characters is too long for Fenergo; ${FENERGO_SCOPE_LIMIT} is not`, () => {
    const tooLong = explainError('invalid_scope', { where: 'token', scope: 'a'.repeat(FENERGO_SCOPE_LIMIT + 1) });
    const atLimit = explainError('invalid_scope', { where: 'token', scope: 'a'.repeat(FENERGO_SCOPE_LIMIT) });
    expect(tooLong.variant).toBe('scope-too-long');
    expect(textOf(tooLong)).toContain(String(FENERGO_SCOPE_LIMIT));
    expect(atLimit.variant).not.toBe('scope-too-long');
  });

  it('invalid_scope: a description about length reads as too long', () => {
    expect(explainError('invalid_scope', { description: 'scope exceeds maximum length' }).variant).toBe(
      'scope-too-long',
    );
  });

  it('invalid_scope always mentions Fenergo’s limit, and at refresh the original grant', () => {
    expect(textOf(explainError('invalid_scope', { where: 'authorization' }))).toContain(String(FENERGO_SCOPE_LIMIT));
    expect(textOf(explainError('invalid_scope', { where: 'refresh' }))).toContain('original grant');
  });

  it('cors_blocked explains Access-Control-Allow-Origin and keeps confidential clients off the browser', () => {
    const e = textOf(explainError('cors_blocked', { where: 'token' }));
    expect(e).toContain('access-control-allow-origin');
    expect(e).toContain('confidential');
    expect(e).toContain('server route');
  });

  it('rate_limited names Retry-After, and HTTP 429 with no code reads as rate_limited', () => {
    expect(textOf(explainError('rate_limited'))).toContain('retry-after');
    expect(explainError('', { status: 429 }).code).toBe('rate_limited');
    expect(explainError('', { status: 503 }).code).toBe('server_error');
  });

  it('a code exchange that timed out is not retried with the same code', () => {
    expect(textOf(explainError('timeout', { where: 'token' }))).toContain('do not send it again');
  });

  it('use_dpop_nonce mentions the header the browser must be allowed to read', () => {
    expect(textOf(explainError('use_dpop_nonce'))).toContain('access-control-expose-headers');
  });

  it.each(['login_required', 'consent_required', 'interaction_required', 'account_selection_required'])(
    '%s is tied to prompt=none',
    (code) => {
      expect(textOf(explainError(code))).toContain('prompt=none');
    },
  );
});

describe('explainError: unknown and hostile input (#97)', () => {
  const HOSTILE: [string, string][] = [
    ['made_up_code', 'something'],
    ['application_suspended', 'Your application has been suspended'],
    ['<img src=x onerror=window.__x=1>', '<script>alert(1)</script>'],
    ['x'.repeat(100_000), 'y'.repeat(100_000)],
    ['__proto__', ''],
    ['constructor', ''],
    ['toString', ''],
    ['access%0Adenied', '\u202Egnp.exe'],
  ];

  it.each(HOSTILE)('%s → a generic but useful explanation that repeats nothing it was given', (code, description) => {
    const e = explainError(code, { where: 'authorization', description });
    expect(e.source).toBe('unrecognized');
    expect(e.code).toBe(code);
    expect(e.title).toBe('Unrecognized error code');
    expect(e.likelyCauses.length).toBeGreaterThan(0);
    expect(e.whatToCheck.join(' ')).toContain('error_description');
    const text = textOf(e);
    expect(text).not.toContain(code.toLowerCase());
    expect(text).not.toContain(description.toLowerCase() || '\u0000');
  });

  it.each(KNOWN_ERROR_CODES)('%s never repeats a hostile description', (code) => {
    const description = '<img src=x onerror=window.__x=1> authorization code already consumed';
    expect(textOf(explainError(code, { where: 'token', description }))).not.toContain('<img');
  });

  it('a very long description costs nothing', () => {
    const start = performance.now();
    for (const code of KNOWN_ERROR_CODES) {
      explainError(code, { where: 'token', description: `${'a '.repeat(500_000)}already consumed` });
    }
    expect(performance.now() - start).toBeLessThan(1000);
  });

  it('uses the status of an unknown code as a clue', () => {
    expect(textOf(explainError('weird', { status: 502 }))).toContain('http 502');
    expect(textOf(explainError('weird', { status: 403 }))).toContain('http 403');
    expect(explainError('', {}).title).toBe('No error code');
  });
});

describe('explainError: the server’s words pick the reading, whatever code carries them', () => {
  // [code, description, where, variant, cannot tell]: wordings real servers send.
  const CASES: [string, string | undefined, ErrorWhere | undefined, string, boolean][] = [
    // A redirect URI not registered for the client.
    [
      'invalid_request',
      'redirect_uri is not registered for this client',
      undefined,
      'redirect-uri-unregistered',
      false,
    ],
    [
      'invalid_request',
      'redirect_uri is not registered for this client',
      'authorization',
      'redirect-uri-unregistered',
      false,
    ],
    ['invalid_request', 'Invalid parameter: redirect_uri', undefined, 'redirect-uri-unregistered', false],
    [
      'invalid_request',
      "The 'redirect_uri' parameter must be a Login redirect URI in the client app settings",
      'authorization',
      'redirect-uri-unregistered',
      false,
    ],
    [
      'invalid_request',
      "AADSTS50011: The redirect URI 'https://app.example/cb' specified in the request does not match the redirect URIs configured for the application 'x'.",
      undefined,
      'redirect-uri-unregistered',
      false,
    ],
    [
      'unauthorized_client',
      'Callback URL mismatch. https://app.example/cb is not in the list of allowed callback URLs',
      'authorization',
      'redirect-uri-unregistered',
      false,
    ],
    [
      'invalid_redirect_uri',
      "redirect_uri did not match any of the client's registered redirect_uris",
      'authorization',
      'redirect-uri-unregistered',
      false,
    ],
    ['redirect_uri_mismatch', 'Bad Request', undefined, 'redirect-uri-unregistered', false],
    ['redirect_mismatch', undefined, undefined, 'redirect-uri-unregistered', false],
    ['invalid_request', 'Redirect URI mismatch', 'authorization', 'redirect-uri-unregistered', false],
    // A wrong redirect_uri in the token request.
    [
      'invalid_grant',
      "The 'redirect_uri' does not match the redirection URI used in the authorization request.",
      'token',
      'redirect-uri-differs',
      false,
    ],
    ['invalid_grant', 'Incorrect redirect_uri', undefined, 'redirect-uri-differs', false],
    ['invalid_request', 'Redirect URI mismatch', 'token', 'redirect-uri-differs', false],
    [
      'redirect_uri_mismatch',
      'The redirect_uri MUST match the registered callback URL',
      'token',
      'redirect-uri-unregistered',
      false,
    ],
    // Cannot tell: redirect_uri named, neither the check nor the endpoint known.
    ['invalid_request', 'Redirect URI mismatch', undefined, 'redirect-uri-unclear', true],
    ['unauthorized_client', 'redirect_uri mismatch', undefined, 'redirect-uri-unclear', true],
    // An unknown client.
    ['invalid_client', 'client is invalid', 'authorization', 'client-unknown', false],
    ['invalid_request', 'Unknown client: abc123', undefined, 'client-unknown', false],
    [
      'unauthorized_client',
      "AADSTS700016: Application with identifier 'abc' was not found in the directory 'contoso'.",
      'authorization',
      'client-unknown',
      false,
    ],
    ['invalid_client', 'The OAuth client was not found.', 'token', 'client-unknown', false],
    ['invalid_request', 'Client not found', 'token', 'client-unknown', false],
    // Cannot tell: an unknown client or a wrong secret.
    ['invalid_client', 'Invalid client or Invalid client credentials', 'token', 'client-auth', true],
    ['invalid_client', 'client authentication failed', 'token', 'client-auth', true],
    // A spent code.
    ['invalid_grant', 'AADSTS54005: OAuth2 Authorization code was already redeemed', 'token', 'code-reused', false],
    ['invalid_request', 'authorization code has already been used', 'token', 'code-reused', false],
    ['unauthorized_client', 'Code was already redeemed.', undefined, 'code-reused', false],
    // An expired code.
    [
      'invalid_grant',
      'AADSTS70008: The provided authorization code or refresh token has expired due to inactivity.',
      'token',
      'code-expired',
      false,
    ],
    ['invalid_request', 'authorization code expired', 'token', 'code-expired', false],
    // Cannot tell: invalid or expired.
    ['invalid_grant', 'The authorization code is invalid or has expired.', 'token', 'code-unknown-or-expired', true],
    ['invalid_grant', 'Authorization code is invalid or expired', undefined, 'code-unknown-or-expired', true],
    // A PKCE verifier mismatch.
    [
      'invalid_grant',
      'AADSTS501481: The Code_Verifier does not match the code_challenge supplied in the authorization request.',
      'token',
      'pkce-mismatch',
      false,
    ],
    ['invalid_grant', 'Failed to verify code verifier', 'token', 'pkce-mismatch', false],
    ['invalid_request', 'PKCE verification failed', 'token', 'pkce-mismatch', false],
    ['unauthorized_client', 'Invalid PKCE code_verifier', 'token', 'pkce-mismatch', false],
    ['invalid_grant', 'Missing code verifier.', 'token', 'verifier-missing', false],
    // Cannot tell: the generic descriptions.
    ['invalid_grant', 'grant request is invalid', 'token', 'code-generic', true],
    ['invalid_grant', undefined, 'token', 'code-generic', true],
    ['invalid_grant', 'grant request is invalid', 'refresh', 'refresh-generic', true],
    ['invalid_request', 'missing required parameter', 'authorization', 'authorization', true],
  ];

  it.each(CASES)('%s %j at %s → %s (cannot tell: %s)', (code, description, where, variant, cannotTell) => {
    const e = explainError(code, { where, description });
    expect(e.variant).toBe(variant);
    expect(e.undetermined === true).toBe(cannotTell);
  });

  it('a redirect URI refused as invalid_request is not read as a malformed sign-in request', () => {
    const e = explainError('invalid_request', { description: 'redirect_uri is not registered for this client' });
    expect(e.title).not.toBe('The sign-in request is malformed');
    expect(concernsRegisteredRedirectUri(e)).toBe(true);
    expect(concernsRegisteredRedirectUri(explainError('invalid_request', { where: 'authorization' }))).toBe(false);
  });

  it('a code the inspector knows it replayed reads as reused, whatever the description', () => {
    const e = explainError('invalid_grant', {
      where: 'token',
      description: 'grant request is invalid',
      codeReplayed: true,
    });
    expect(e.variant).toBe('code-reused');
    expect(e.undetermined).toBeUndefined();
  });

  it('the words never move a refresh, introspection or revocation failure to a sign-in reading', () => {
    for (const where of ['refresh', 'introspection', 'revocation'] as const) {
      expect(explainError('invalid_request', { where, description: 'redirect_uri mismatch' }).variant).toBe(
        where === 'refresh' ? 'refresh' : where,
      );
    }
  });
});

describe('explainError: the endpoint that answered', () => {
  it('unsupported_token_type at introspection speaks of introspection, never of revoking', () => {
    const e = explainError('unsupported_token_type', {
      where: 'introspection',
      description: 'Structured JWT Tokens cannot be introspected via the introspection_endpoint',
    });
    expect(e.variant).toBe('introspection');
    expect(e.title).toMatch(/introspect/i);
    expect(textOf(e)).not.toMatch(/revok/);
    expect(explainError('unsupported_token_type', { where: 'revocation' }).title).toMatch(/revoke/);
  });

  it('upstream_auth_failed from the route names the provider’s variables, not a refused API call', () => {
    const e = explainError('upstream_auth_failed', { where: 'route', provider: 'fenergo' });
    expect(e.source).toBe('route');
    expect(e.title).not.toBe('The API refused the request');
    for (const name of ['CLIENT_ID', 'CLIENT_SECRET', 'AUTH_METHOD', 'SCOPE']) {
      expect(textOf(e)).toContain(`m2m_fenergo_${name.toLowerCase()}`);
    }
  });
});

describe('explainError: Fieldpass’s own codes for the callback and refused answers', () => {
  it('state_mismatch is Fieldpass’s own: no attempt here, and the CSRF defence', () => {
    const e = explainError('state_mismatch', { where: 'authorization' });
    expect(e.source).toBe('client');
    expect(e.title).toBe('This callback does not answer a sign-in started here');
    expect(textOf(e)).toMatch(/another browser/);
    expect(textOf(e)).toMatch(/already used/);
    expect(textOf(e)).toMatch(/storage was cleared/);
    expect(textOf(e)).toMatch(/forged or replayed/);
    expect(e.spec).toEqual(['RFC 6749 §10.12', 'RFC 9700 §4.7']);
  });

  const thrown = async (work: () => unknown) => {
    try {
      await work();
    } catch (err) {
      return errorOf(err);
    }
    throw new Error('nothing thrown');
  };
  const AS = { issuer: 'https://as.example', authorization_response_iss_parameter_supported: true };

  it.each([
    [
      'an iss naming another server (mix-up)',
      () =>
        oauth.validateAuthResponse(
          AS,
          { client_id: 'c' },
          new URLSearchParams({ code: 'x', state: 's', iss: 'https://evil.example' }),
          's',
        ),
      'iss-mismatch',
      'The answer names another server (mix-up check)',
    ],
    [
      'a missing iss the server promises',
      () => oauth.validateAuthResponse(AS, { client_id: 'c' }, new URLSearchParams({ code: 'x', state: 's' }), 's'),
      'iss-mismatch',
      'The answer names another server (mix-up check)',
    ],
    [
      'metadata naming another issuer',
      () =>
        oauth.processDiscoveryResponse(
          new URL('https://as.example'),
          Response.json({ issuer: 'https://other.example', authorization_endpoint: 'https://as.example/auth' }),
        ),
      'metadata-issuer-mismatch',
      'The metadata names another issuer',
    ],
    [
      'an answer that is not JSON',
      () =>
        oauth.processDiscoveryResponse(
          new URL('https://as.example'),
          new Response('<html>Sign in</html>', { headers: { 'content-type': 'text/html' } }),
        ),
      'unreadable',
      'The metadata could not be read',
    ],
    [
      'an unexpected status',
      () => oauth.processDiscoveryResponse(new URL('https://as.example'), new Response('missing', { status: 404 })),
      'unreadable',
      'The metadata could not be read',
    ],
  ])('invalid_response from %s reads as oauth4webapi found it', async (_name, work, variant, title) => {
    const error = await thrown(work);
    expect(error.code).toBe('invalid_response');
    const e = explainError(error.code, { where: 'discovery', processing: error.processing });
    expect(e.source).toBe('client');
    expect(e.variant).toBe(variant);
    expect(e.title).toBe(title);
    expect(textOf(e)).not.toMatch(/specific to this server|proxy or gateway in front/);
  });

  it('invalid_response with nothing known says so, as Fieldpass’s own', () => {
    const e = explainError('invalid_response');
    expect(e.source).toBe('client');
    expect(e.undetermined).toBe(true);
  });

  it('a pushed request’s error reads as the authorization endpoint’s', () => {
    for (const code of ['invalid_request', 'invalid_client', 'unauthorized_client', 'invalid_scope']) {
      const par = explainError(code, { where: 'par' });
      const authorization = explainError(code, { where: 'authorization' });
      expect({ ...par }).toEqual({ ...authorization });
    }
  });
});

describe('serverErrorIn: only what a server sent', () => {
  const answer = (status: number, body: string, headers: Record<string, string> = {}) => ({
    response: { status, headers, body },
  });

  it('reads error and error_description verbatim from the last answer', () => {
    const nonce = answer(400, '{"error":"use_dpop_nonce"}');
    const last = answer(400, '{"error":"invalid_grant","error_description":"grant request is invalid"}');
    expect(serverErrorIn([nonce, last])).toEqual({
      error: 'invalid_grant',
      description: 'grant request is invalid',
      status: 400,
    });
  });

  /** The step's failure as the flow records it, from oauth4webapi's own reading of the challenge. */
  async function challenged(header: string) {
    const response = new Response(null, { status: 401, headers: { 'www-authenticate': header } });
    const err = await oauth
      .processUserInfoResponse({ issuer: 'https://as.example' }, { client_id: 'c' }, oauth.skipSubjectCheck, response)
      .catch((e: unknown) => e);
    return { exchange: answer(401, '', { 'www-authenticate': header }), failure: errorOf(err) };
  }

  it.each([
    [
      'quoted',
      'DPoP algs="ES256", error="invalid_token", error_description="invalid token \\"x\\" provided"',
      'invalid_token',
      'invalid token "x" provided',
    ],
    ['unquoted', 'Bearer error=invalid_token', 'invalid_token', undefined],
    ['unquoted, after a realm', 'Bearer realm="api", error=insufficient_scope', 'insufficient_scope', undefined],
  ])('reads a WWW-Authenticate challenge (%s) as oauth4webapi parsed it', async (_name, header, error, description) => {
    const { exchange, failure } = await challenged(header);
    expect(serverErrorIn([exchange], failure)).toEqual({ error, description, status: 401 });
  });

  it('a challenge without an error: nothing', async () => {
    const { exchange, failure } = await challenged('Bearer realm="x"');
    expect(serverErrorIn([exchange], failure)).toBeUndefined();
  });

  it.each([
    ['no exchange', []],
    ['no answer', [{}]],
    ['an answer without an error', [answer(200, '{"active":false}')]],
    ['a challenge without an error', [answer(401, '', { 'www-authenticate': 'Bearer realm="x"' })]],
    ['HTML', [answer(502, '<html>Bad gateway</html>')]],
  ])('%s: nothing', (_name, exchanges) => {
    expect(serverErrorIn(exchanges)).toBeUndefined();
  });
});
