import { describe, expect, it } from 'vitest';
import { FENERGO_SCOPE_LIMIT } from '../catalogs/fenergo-scopes.js';
import { explainError, KNOWN_ERROR_CODES, type ErrorWhere, type Explanation } from './explain.js';

const WHERE: (ErrorWhere | undefined)[] = [
  undefined,
  'authorization',
  'token',
  'refresh',
  'revocation',
  'resource',
  'network',
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
