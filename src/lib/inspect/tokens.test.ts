import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  MAX_JWT_LENGTH,
  basicCredentials,
  curlForRequest,
  curlForTokenRequest,
  decodeJwt,
  formatRelative,
  maskTokenResponse,
  shellQuote,
  type DecodedJwt,
} from './tokens.js';
import { maskToken } from '../base/mask.js';

const b64url = (text: string | Uint8Array) =>
  Buffer.from(typeof text === 'string' ? Buffer.from(text, 'utf8') : text).toString('base64url');
const jwt = (header: unknown, claims: unknown, signature = 'c2ln') =>
  `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}.${signature}`;

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0); // epoch milliseconds
const NOW_S = NOW / 1000;

function decoded(token: string, now = NOW): DecodedJwt {
  const result = decodeJwt(token, now);
  if ('error' in result) throw new Error(`expected a JWT, got ${result.error}`);
  return result;
}

/** Runs a generated command in bash with `curl` replaced by a function that prints its argv. */
function argvOf(command: string): string[] {
  const out = execFileSync('bash', ['-c', `curl() { printf '%s\\0' "$@"; }\n${command}`], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

describe('decodeJwt', () => {
  it('reads the header, the claims and every time claim relative to now', () => {
    const token = jwt(
      { alg: 'ES256', typ: 'at+jwt', kid: 'k1' },
      {
        iss: 'http://127.0.0.1:9000',
        sub: 'tech-0042',
        exp: NOW_S + 4 * 60 + 30,
        iat: NOW_S - 2 * 3600,
        nbf: NOW_S - 5,
        auth_time: NOW_S - 3 * 86400,
      },
    );
    const result = decoded(token);
    expect(result.header).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' });
    expect(result.claims.sub).toBe('tech-0042');
    expect(result.signature).toBe('c2ln');
    expect(result.unsecured).toBe(false);
    expect(result.times).toEqual([
      { claim: 'exp', epochSeconds: NOW_S + 270, iso: '2026-01-15T12:04:30.000Z', relative: 'in 4 min' },
      { claim: 'iat', epochSeconds: NOW_S - 7200, iso: '2026-01-15T10:00:00.000Z', relative: '2 h ago' },
      { claim: 'nbf', epochSeconds: NOW_S - 5, iso: '2026-01-15T11:59:55.000Z', relative: '5 s ago' },
      { claim: 'auth_time', epochSeconds: NOW_S - 259200, iso: '2026-01-12T12:00:00.000Z', relative: '3 d ago' },
    ]);
    expect(result.expiresInSeconds(NOW)).toBe(270);
    expect(result.expiresInSeconds(NOW + 300_000)).toBe(-30);
  });

  it('decodes the example token of the Fenergo Transaction Monitoring document', () => {
    const example =
      'eyJhbGciOiJSUzI1NiIsImtpZCI6IkVYQU1QTEVSRVBMQUNFRCJ9.eyJzdWIiOiJFWEFNUExFUkVQTEFDRUQiLCJ0b2tlbl91c2UiOiJhY2Nlc3MiLCJzY29wZSI6InRlbmFudC9leGFtcGxlLXRlbmFudCIsImV4cCI6OTk5OTk5OTk5OSwiaWF0IjoxNzAwMDAwMDAwLCJjbGllbnRfaWQiOiJFWEFNUExFQ0xJRU5USUQifQ.EXAMPLE_SIGNATURE';
    const result = decoded(example);
    expect(result.header.alg).toBe('RS256');
    expect(result.claims.scope).toBe('tenant/example-tenant');
    expect(result.times.map((t) => t.claim)).toEqual(['exp', 'iat']);
    expect(result.times[0].iso).toBe('2286-11-20T17:46:39.000Z');
  });

  it('has no expiry without a numeric exp', () => {
    expect(decoded(jwt({ alg: 'RS256' }, { sub: 'x' })).expiresInSeconds(NOW)).toBeUndefined();
    expect(decoded(jwt({ alg: 'RS256' }, { exp: '1700000000' })).expiresInSeconds(NOW)).toBeUndefined();
  });

  it.each([
    ['a string', '1700000000'],
    ['null', null],
    ['an object', { n: 1 }],
    ['beyond what a Date holds', 1e20],
    ['a boolean', true],
  ])('leaves out a time claim that is %s', (_, exp) => {
    const result = decoded(jwt({ alg: 'RS256' }, { exp, iat: NOW_S }));
    expect(result.times.map((t) => t.claim)).toEqual(['iat']);
  });

  it('trims whitespace a copy and paste adds', () => {
    expect(decoded(`\n  ${jwt({ alg: 'RS256' }, { sub: 'x' })}  \n`).claims.sub).toBe('x');
  });

  it.each([
    ['alg none', jwt({ alg: 'none' }, { sub: 'x' }), true],
    ['alg NONE', jwt({ alg: 'NONE' }, { sub: 'x' }), true],
    ['an empty signature', jwt({ alg: 'RS256' }, { sub: 'x' }, ''), true],
    ['an RS256 signature', jwt({ alg: 'RS256' }, { sub: 'x' }), false],
    ['an alg that is an object with its own toString', jwt({ alg: { toString: 1 } }, { sub: 'x' }), false],
  ])('flags %s as unsecured: %s', (_, token, unsecured) => {
    expect(decoded(token).unsecured).toBe(unsecured);
  });

  const e30 = b64url('{}');
  it.each([
    ['empty', '', 'EMPTY'],
    ['blank', ' \n\t ', 'EMPTY'],
    ['an opaque token', 'SlAV32hkKG', 'NOT_A_JWT'],
    ['two parts', `${e30}.${e30}`, 'NOT_A_JWT'],
    ['four parts', `${e30}.${e30}.${e30}.${e30}`, 'NOT_A_JWT'],
    ['only dots', '..', 'BAD_ENCODING'],
    ['an empty header', `.${e30}.sig`, 'BAD_ENCODING'],
    ['an empty payload', `${e30}..sig`, 'BAD_ENCODING'],
    ['five parts (JWE)', `${e30}.a.b.c.d`, 'ENCRYPTED'],
    ['standard base64 characters', `${e30}.${b64url('{"a":"??>"}').replace(/_/g, '/')}+.sig`, 'BAD_ENCODING'],
    ['padding', `${e30}.${e30}==.sig`, 'BAD_ENCODING'],
    ['a segment of length 4n+1', `${e30}.abcde.sig`, 'BAD_ENCODING'],
    ['a bad signature part', `${e30}.${e30}.s!g`, 'BAD_ENCODING'],
    ['invalid UTF-8', `${e30}.${b64url(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]))}.sig`, 'BAD_ENCODING'],
    ['text that is not JSON', `${e30}.${b64url('not json')}.sig`, 'BAD_JSON'],
    ['a JSON array', `${e30}.${b64url('[1,2]')}.sig`, 'BAD_JSON'],
    ['JSON null', `${b64url('null')}.${e30}.sig`, 'BAD_JSON'],
    ['a JSON string', `${e30}.${b64url('"claims"')}.sig`, 'BAD_JSON'],
    ['deeply nested arrays', `${e30}.${b64url('['.repeat(20000) + ']'.repeat(20000))}.sig`, 'BAD_JSON'],
    ['a token over the size limit', 'a'.repeat(MAX_JWT_LENGTH) + '.b.c', 'TOO_LONG'],
  ])('refuses %s with %s', (_, token, code) => {
    const result = decodeJwt(token, NOW);
    expect(result).toMatchObject({ error: code });
    expect('message' in result && result.message.length).toBeGreaterThan(0);
  });

  it('refuses a huge input at once, without decoding it', () => {
    const huge = `${'e'.repeat(20_000_000)}.e30.sig`;
    const started = performance.now();
    expect(decodeJwt(huge, NOW)).toMatchObject({ error: 'TOO_LONG' });
    expect(performance.now() - started).toBeLessThan(50);
  });

  it('keeps a __proto__ claim as data and pollutes no prototype', () => {
    const result = decoded(`${b64url('{"alg":"RS256"}')}.${b64url('{"__proto__":{"polluted":1},"sub":"x"}')}.sig`);
    expect(Object.hasOwn(result.claims, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('decodes non-ASCII claims as UTF-8', () => {
    expect(decoded(jwt({ alg: 'RS256' }, { name: 'Zoë Ñúñez 🔑' })).claims.name).toBe('Zoë Ñúñez 🔑');
  });
});

describe('formatRelative', () => {
  it.each([
    [0, 'now'],
    [0.4, 'now'],
    [-0.9, 'now'],
    [1, 'in 1 s'],
    [59, 'in 59 s'],
    [60, 'in 1 min'],
    [299, 'in 4 min'],
    [-3599, '59 min ago'],
    [-3600, '1 h ago'],
    [-7300, '2 h ago'],
    [86399, 'in 23 h'],
    [86400 * 3, 'in 3 d'],
    [-86400 * 400, '400 d ago'],
    [Infinity, 'never'],
    [NaN, 'long ago'],
  ])('%s s → %s', (delta, text) => {
    expect(formatRelative(delta)).toBe(text);
  });
});

describe('maskToken', () => {
  it.each([
    ['', '(empty)'],
    ['a', '…(1 char)…'],
    ['abcdefghijk', '…(11 chars)…'],
    ['abcdefghijkl', 'abc…(12 chars)…l'],
    ['abcdefghijklmnopqrst', 'abcd…(20 chars)…st'],
    ['abcdefghijklmnopqrstuvwxyz0123', 'abcdef…(30 chars)…0123'],
  ])('%j → %j', (token, masked) => {
    expect(maskToken(token)).toBe(masked);
  });

  it('keeps the JWT hint: its first characters and the word JWT', () => {
    const token = jwt({ alg: 'RS256', typ: 'JWT' }, { sub: 'x'.repeat(700) }, 'A'.repeat(80) + 'x9Q');
    expect(maskToken(token)).toBe(`eyJhbG…(${token.length} chars, JWT)…Ax9Q`);
    expect(maskToken('opaque-token-value-123456789')).not.toContain('JWT');
  });

  it('never shows more than 6 + 4 characters, nor more than a third of any token', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    for (let n = 0; n <= 300; n++) {
      const token = Array.from({ length: n }, (_, i) => alphabet[(i * 7 + n) % alphabet.length]).join('');
      const masked = maskToken(token);
      const [head, , tail = ''] = masked.split('…');
      const shownHead = token.startsWith(head) ? head.length : 0;
      const shownTail = masked.includes('…') && token.endsWith(tail) ? tail.length : 0;
      expect(shownHead, `n=${n}`).toBeLessThanOrEqual(6);
      expect(shownTail, `n=${n}`).toBeLessThanOrEqual(4);
      expect(shownHead + shownTail, `n=${n}`).toBeLessThanOrEqual(Math.floor(n / 3));
      if (n >= 30) expect(shownHead + shownTail).toBe(10);
    }
  });

  it('does not split a surrogate pair', () => {
    const masked = maskToken('🔑'.repeat(30));
    expect(masked).toBe(`${'🔑'.repeat(6)}…(30 chars)…${'🔑'.repeat(4)}`);
  });

  it('masks a value that is not a string instead of throwing', () => {
    expect(maskToken({ toString: 1 } as unknown as string)).toBe('…(not a string)…');
  });
});

describe('maskTokenResponse', () => {
  const access = 'AT-' + 'a'.repeat(60);
  const refresh = 'RT-' + 'r'.repeat(60);
  const id = jwt({ alg: 'RS256' }, { sub: 'x' });

  it('masks the tokens and keeps every other member, without changing its input', () => {
    const body = {
      access_token: access,
      refresh_token: refresh,
      id_token: id,
      token_type: 'DPoP',
      expires_in: 3600,
      scope: 'read:assets',
    };
    const copy = { ...body };
    const masked = maskTokenResponse(body);
    expect(masked).toEqual({
      access_token: maskToken(access),
      refresh_token: maskToken(refresh),
      id_token: maskToken(id),
      token_type: 'DPoP',
      expires_in: 3600,
      scope: 'read:assets',
    });
    expect(JSON.stringify(masked)).not.toContain(access.slice(0, 12));
    expect(JSON.stringify(masked)).not.toContain(refresh.slice(-12));
    expect(body).toEqual(copy);
  });

  it.each([[null], [12345], [{ nested: 'secret-value' }], [['x']]])('masks a token member that is %j', (value) => {
    const masked = maskTokenResponse({ access_token: value });
    expect(masked.access_token).toBe('…(not a string)…');
  });
});

describe('shellQuote', () => {
  it.each([
    ['plain'],
    [''],
    ["it's"],
    ["'; touch /tmp/fieldpass-pwned-1; echo '"],
    ['$(touch /tmp/fieldpass-pwned-2)'],
    ['`touch /tmp/fieldpass-pwned-3`'],
    ['back\\slash and "double" quotes'],
    ['line one\nline two\r'],
    ['escape \u001b[31mred\u001b[0m and bell \u0007'],
    ['bidi \u202etxt.exe\u202c and \u2066isolate\u2069'],
    ['tab\there and DEL \u007f and C1 \u0085'],
    ['unicode: Zoë 🔑'],
  ])('bash reads %j back as one unchanged word', (value) => {
    expect(argvOf(`curl ${shellQuote(value)}`)).toEqual([value]);
    // eslint-disable-next-line no-control-regex
    expect(shellQuote(value)).not.toMatch(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
  });
});

describe('curlForTokenRequest (#64)', () => {
  const exchange = {
    tokenEndpoint: 'http://127.0.0.1:9000/token',
    params: {
      grant_type: 'authorization_code',
      code: 'real-code-7f3e',
      redirect_uri: 'http://127.0.0.1:5173/inspect/callback',
      client_id: 'fieldpass',
      code_verifier: 'real-verifier-dBjftJeZ4CVP',
    },
    headers: { DPoP: 'eyJ0eXAiOiJkcG9wK2p3dCJ9.real-proof.sig' },
  };

  it('masks the code, the verifier and the DPoP proof', () => {
    const command = curlForTokenRequest(exchange);
    expect(argvOf(command)).toEqual([
      '-X',
      'POST',
      'http://127.0.0.1:9000/token',
      '-H',
      'content-type: application/x-www-form-urlencoded',
      '-H',
      'DPoP: <dpop_proof>',
      '--data-urlencode',
      'grant_type=authorization_code',
      '--data-urlencode',
      'code=<code>',
      '--data-urlencode',
      'redirect_uri=http://127.0.0.1:5173/inspect/callback',
      '--data-urlencode',
      'client_id=fieldpass',
      '--data-urlencode',
      'code_verifier=<code_verifier>',
    ]);
    expect(command).not.toMatch(/real-/);
  });

  it('shows the real values when revealed, for that command only', () => {
    const revealed = argvOf(curlForTokenRequest({ ...exchange, reveal: true }));
    expect(revealed).toContain('code_verifier=real-verifier-dBjftJeZ4CVP');
    expect(revealed).toContain('code=real-code-7f3e');
    expect(revealed).toContain('DPoP: eyJ0eXAiOiJkcG9wK2p3dCJ9.real-proof.sig');
    expect(curlForTokenRequest(exchange)).not.toContain('real-verifier');
  });

  it.each([
    ['refresh_token', { grant_type: 'refresh_token', refresh_token: 'real-rt' }],
    ['client_secret', { grant_type: 'client_credentials', client_secret: 'real-secret' }],
    ['client_assertion', { grant_type: 'client_credentials', client_assertion: 'real.assertion.jwt' }],
  ])('masks %s', (name, params) => {
    const argv = argvOf(curlForTokenRequest({ tokenEndpoint: 'https://as.example/token', params }));
    expect(argv).toContain(`${name}=<${name}>`);
    expect(argv.join(' ')).not.toContain('real');
  });

  it('masks a caller-supplied Authorization header but keeps its scheme, and never sends two content-types', () => {
    const argv = argvOf(
      curlForTokenRequest({
        tokenEndpoint: 'https://as.example/token',
        params: { grant_type: 'client_credentials' },
        headers: { Authorization: 'Bearer real-token', 'Content-Type': 'text/plain', 'x-tenant-id': 't-1' },
      }),
    );
    expect(argv).toContain('Authorization: Bearer <access_token>');
    expect(argv).toContain('x-tenant-id: t-1');
    expect(argv.filter((a) => /^content-type:/i.test(a))).toEqual(['content-type: application/x-www-form-urlencoded']);
  });

  it('client_secret_post: adds a client_secret placeholder when none is given', () => {
    const argv = argvOf(
      curlForTokenRequest({
        tokenEndpoint: 'https://identity.fenergox.com/connect/token',
        params: { grant_type: 'client_credentials', client_id: 'c1', scope: 'fenx.entitydata.read' },
        clientAuth: 'client_secret_post',
      }),
    );
    expect(argv).toContain('client_secret=<client_secret>');
    expect(argv).toContain('client_id=c1');
  });

  it('client_secret_basic: moves the credentials into an Authorization header placeholder', () => {
    const argv = argvOf(
      curlForTokenRequest({
        tokenEndpoint: 'https://auth.example/oauth2/token',
        params: { grant_type: 'client_credentials', client_id: 'c1', client_secret: 'real-secret' },
        clientAuth: 'client_secret_basic',
      }),
    );
    expect(argv).toContain('authorization: Basic <client_id:client_secret>');
    expect(argv.some((a) => a.startsWith('client_id=') || a.startsWith('client_secret='))).toBe(false);
    expect(argv.join(' ')).not.toContain('real-secret');
  });

  it('client_secret_basic revealed: form-urlencodes id and secret before base64 (RFC 6749 §2.3.1, #90)', () => {
    expect(basicCredentials('a b', 'p:w+d%')).toBe(Buffer.from('a+b:p%3Aw%2Bd%25').toString('base64'));
    const argv = argvOf(
      curlForTokenRequest({
        tokenEndpoint: 'https://auth.example/oauth2/token',
        params: { grant_type: 'client_credentials', client_id: 'a b', client_secret: 'p:w+d%' },
        clientAuth: 'client_secret_basic',
        reveal: true,
      }),
    );
    expect(argv).toContain(`authorization: Basic ${Buffer.from('a+b:p%3Aw%2Bd%25').toString('base64')}`);
  });

  it.each([
    ['a quote', { scope: "read:assets'; touch /tmp/fieldpass-pwned-4; '" }],
    ['a command substitution', { scope: '$(touch /tmp/fieldpass-pwned-5)' }],
    ['a newline', { scope: 'read:assets\nwrite:assets' }],
    ['an @ that would make curl read a file', { scope: '@/etc/passwd' }],
  ])('passes a value with %s to curl unchanged', (_, params) => {
    const argv = argvOf(curlForTokenRequest({ tokenEndpoint: 'https://as.example/token', params }));
    expect(argv.at(-1)).toBe(`scope=${params.scope}`);
  });

  it.each([
    ['an @', 'a@b', 'a%40b=v'],
    ['an =', 'a=b', 'a%3Db=v'],
    ['nothing', '', '=v'],
    ['a leading @', '@etc', '%40etc=v'],
  ])('sends a field name with %s already encoded with --data', (_, name, encoded) => {
    const argv = argvOf(curlForTokenRequest({ tokenEndpoint: 'https://as.example/token', params: { [name]: 'v' } }));
    expect(argv.slice(-2)).toEqual(['--data', encoded]);
  });

  it('masks a secret in the token endpoint query string', () => {
    const argv = argvOf(
      curlForTokenRequest({ tokenEndpoint: 'https://as.example/token?client_secret=real-secret&x=1', params: {} }),
    );
    expect(argv[2]).toBe('https://as.example/token?client_secret=<client_secret>&x=1');
  });
});

describe('curlForRequest', () => {
  it('revocation (RFC 7009): masks the token field', () => {
    const argv = argvOf(
      curlForRequest({
        method: 'POST',
        url: 'http://127.0.0.1:9000/revoke',
        body: { token: 'real-rt', token_type_hint: 'refresh_token', client_id: 'fieldpass' },
      }),
    );
    expect(argv).toEqual([
      '-X',
      'POST',
      'http://127.0.0.1:9000/revoke',
      '-H',
      'content-type: application/x-www-form-urlencoded',
      '--data-urlencode',
      'token=<token>',
      '--data-urlencode',
      'token_type_hint=refresh_token',
      '--data-urlencode',
      'client_id=fieldpass',
    ]);
  });

  it('userinfo: masks the DPoP access token and proof, keeps other headers', () => {
    const argv = argvOf(
      curlForRequest({
        method: 'get',
        url: 'http://127.0.0.1:9000/me',
        headers: { Authorization: 'DPoP real-at', DPoP: 'real-proof', accept: 'application/json' },
      }),
    );
    expect(argv).toEqual([
      '-X',
      'GET',
      'http://127.0.0.1:9000/me',
      '-H',
      'Authorization: DPoP <access_token>',
      '-H',
      'DPoP: <dpop_proof>',
      '-H',
      'accept: application/json',
    ]);
  });

  it.each([
    ['x-api-key', 'x-api-key: <x-api-key>'],
    ['X-Session-Id', 'X-Session-Id: <x-session-id>'],
    ['Cookie', 'Cookie: <cookie>'],
    ['Authorization', 'Authorization: <authorization>'],
  ])('masks the %s header', (name, shown) => {
    const argv = argvOf(curlForRequest({ method: 'GET', url: 'https://api.example/', headers: { [name]: 'real' } }));
    expect(argv).toContain(shown);
  });

  it('masks secrets in a form-encoded string body and in the query', () => {
    const argv = argvOf(
      curlForRequest({
        method: 'POST',
        url: 'https://as.example/introspect?access_token=real-at',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded;charset=UTF-8' },
        body: 'token=real-at&token_type_hint=access_token',
      }),
    );
    expect(argv).toContain('token=<token>');
    expect(argv).toContain('https://as.example/introspect?access_token=<access_token>');
    expect(argv.join(' ')).not.toContain('real');
  });

  it('masks secret members of a JSON body at any depth', () => {
    const argv = argvOf(
      curlForRequest({
        method: 'POST',
        url: 'https://api.example/',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ a: 1, nested: [{ refresh_token: 'real-rt' }], client_secret: 'real-s' }),
      }),
    );
    expect(argv.slice(-2)).toEqual([
      '--data-raw',
      '{"a":1,"nested":[{"refresh_token":"<refresh_token>"}],"client_secret":"<client_secret>"}',
    ]);
  });

  it('sends other string bodies with --data-raw so a leading @ reads no file', () => {
    const argv = argvOf(curlForRequest({ method: 'POST', url: 'https://api.example/', body: '@/etc/passwd' }));
    expect(argv.slice(-2)).toEqual(['--data-raw', '@/etc/passwd']);
  });

  it('refuses a method that is not a word', () => {
    const argv = argvOf(curlForRequest({ method: 'GET; touch /tmp/fieldpass-pwned-6', url: 'https://api.example/' }));
    expect(argv.slice(0, 2)).toEqual(['-X', 'GET']);
  });
});
